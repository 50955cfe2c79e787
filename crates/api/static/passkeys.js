// authd's passkey buttons: the one script of the pages. It asks the browser
// for a passkey (navigator.credentials) and posts the answer with the form it
// belongs to; every other form works without it. A form marked
// data-passkey="create" or "get" first posts itself to data-options-url
// (JSON back: {ceremony_id?, options}), then carries the credential
// (PublicKeyCredential.toJSON()) to its own action.
"use strict";
(() => {
  const PKC = window.PublicKeyCredential;
  if (!PKC || !PKC.parseCreationOptionsFromJSON || !navigator.credentials) return;
  for (const form of document.querySelectorAll("form[data-passkey]")) {
    form.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      ceremony(form).catch((err) => say(form, err));
    });
  }

  async function ceremony(form) {
    const answer = await fetch(form.dataset.optionsUrl, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const body = await answer.json();
    if (!answer.ok) throw new Error(body.detail || "The server refused.");
    const publicKey = body.options.publicKey;
    const credential = form.dataset.passkey === "create"
      ? await navigator.credentials.create({ publicKey: PKC.parseCreationOptionsFromJSON(publicKey) })
      : await navigator.credentials.get({ publicKey: PKC.parseRequestOptionsFromJSON(publicKey) });
    const fields = form.elements;
    fields.credential.value = JSON.stringify(credential.toJSON());
    if (fields.ceremony_id && body.ceremony_id) fields.ceremony_id.value = body.ceremony_id;
    // The password was for the options; the answer needs none.
    if (fields.password) fields.password.value = "";
    form.submit();
  }

  function say(form, err) {
    const text = err && err.name === "NotAllowedError"
      ? "No passkey was used: it was canceled, timed out, or this device has none for this site."
      : String((err && err.message) || err);
    const line = form.querySelector(".passkey-error");
    line.textContent = text;
    line.hidden = false;
  }
})();
