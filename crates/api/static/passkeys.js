// authd's passkey buttons and autofill: the one script of the pages. It asks the browser
// for a passkey (navigator.credentials) and posts the answer with the form it
// belongs to; every other form works without it. A form marked
// data-passkey="create" or "get" first posts itself to data-options-url
// (JSON back: {ceremony_id?, options}), then carries the credential
// (PublicKeyCredential.toJSON()) to its own action.
"use strict";
(() => {
  const PKC = window.PublicKeyCredential;
  if (!PKC || !PKC.parseCreationOptionsFromJSON || !navigator.credentials) return;
  // The autofill request under way, if any: a button press cancels it (and
  // one not yet made is then never made).
  let autofill = null;
  let pressed = false;
  for (const form of document.querySelectorAll("form[data-passkey]")) {
    form.hidden = false;
    // A form behind a disclosure ("Add a passkey") shows it too.
    const disclosure = form.closest("details[hidden]");
    if (disclosure) disclosure.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      ceremony(form, false).catch((err) => say(form, err));
    });
  }

  // Passkey autofill (conditional mediation): where the browser lists
  // passkeys among a field's suggestions, the login page asks for one when
  // the username field is first touched or typed in (not on merely opening
  // the page: each ask counts against the per-address login limit); picking
  // one signs in as the button does.
  const field = document.querySelector("input[autocomplete~=webauthn]");
  const signIn = document.querySelector("form[data-passkey][data-autofill]");
  if (field && signIn && PKC.isConditionalMediationAvailable) {
    PKC.isConditionalMediationAvailable().then((available) => {
      if (!available) return;
      let asked = false;
      const ask = () => {
        if (asked) return;
        asked = true;
        ceremony(signIn, true).catch(() => {});
      };
      field.addEventListener("pointerdown", ask);
      field.addEventListener("keydown", ask);
    });
  }

  async function ceremony(form, conditional) {
    if (!conditional) {
      pressed = true;
      if (autofill) autofill.abort();
      autofill = null;
    }
    const answer = await fetch(form.dataset.optionsUrl, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const body = await answer.json();
    // A sensitive change from a session not recently proved: confirm it is you first.
    if (body.code === "reauthentication_required") return void location.assign("/ui/reauthenticate");
    if (!answer.ok) throw new Error(body.detail || "The server refused.");
    const publicKey = body.options.publicKey;
    let credential;
    if (form.dataset.passkey === "create") {
      credential = await navigator.credentials.create({ publicKey: PKC.parseCreationOptionsFromJSON(publicKey) });
    } else {
      const asked = { publicKey: PKC.parseRequestOptionsFromJSON(publicKey) };
      if (conditional) {
        if (pressed) return;
        autofill = new AbortController();
        Object.assign(asked, { mediation: "conditional", signal: autofill.signal });
      }
      credential = await navigator.credentials.get(asked);
    }
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
