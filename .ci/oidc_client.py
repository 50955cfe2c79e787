"""A relying party that knows authd only from its discovery document:
authlib's OAuth 2.0 client and OpenID Connect ID-token validation, a real
browser for the person's part; then the same client's token for itself
(client_credentials, introspected and revoked through authlib), and the
person signed out from the application (RP-initiated logout).

    python3 .ci/oidc_client.py http://127.0.0.1:8000 ADMIN_NAME ADMIN_PASSWORD
"""
import http.server
import sys
import tempfile
import threading
import time
import uuid

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

base, admin, admin_password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
api = base + "/api/v1"
password = "tangerine-oboe-quarry-41"

# The application's redirect URI: a local server that keeps what it is sent.
landed = []


class Callback(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        landed.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.end_headers()
        self.wfile.write(b"signed out" if self.path.startswith("/signed-out") else b"signed in")

    def log_message(self, *args):
        pass


app = http.server.HTTPServer(("127.0.0.1", 0), Callback)
threading.Thread(target=app.serve_forever, daemon=True).start()
redirect_uri = f"http://127.0.0.1:{app.server_address[1]}/callback"
signed_out_uri = f"http://127.0.0.1:{app.server_address[1]}/signed-out"

# authd's side: an admin registers the client; a person has an account.
admin_token = requests.post(api + "/auth/token", json={"username": admin, "password": admin_password}).json()["access_token"]
client = requests.post(api + "/clients", headers={"authorization": f"Bearer {admin_token}"},
                       json={"name": "authlib test app", "type": "confidential", "redirect_uris": [redirect_uri],
                             "post_logout_redirect_uris": [signed_out_uri]})
assert client.status_code == 201, client.text
client = client.json()
name = "oidc" + uuid.uuid4().hex[:10]
user = requests.post(api + "/users/registration", json={"email": f"{name}@example.com", "username": name, "name": "Ada",
                                                         "lastname": "Lovelace", "password": password})
assert user.status_code == 201, user.text
user_id = user.json()["id"]

# Everything the client knows comes from here on out of discovery.
discovery = requests.get(base + "/.well-known/openid-configuration").json()
issuer = discovery["issuer"]
assert issuer.endswith(":" + base.rsplit(":", 1)[1]) and not issuer.endswith("/"), (issuer, base)
session = OAuth2Session(client["client_id"], client["client_secret"], scope="openid email profile",
                        redirect_uri=redirect_uri, code_challenge_method="S256",
                        token_endpoint_auth_method="client_secret_basic")
verifier, nonce = generate_token(64), generate_token(24)
url, state = session.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tempfile.mkdtemp(prefix='authd-oidc-chromium.')}"]:
    options.add_argument(flag)
browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    wait = WebDriverWait(browser, 20)
    browser.get(url)
    wait.until(ec.presence_of_element_located((By.ID, "username"))).send_keys(name)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "login").click()
    wait.until(ec.element_to_be_clickable((By.ID, "allow"))).click()
    deadline = time.time() + 20
    while not landed and time.time() < deadline:
        time.sleep(0.1)
    assert landed, f"the browser never reached the application; it is at {browser.current_url}"

    callback = f"http://127.0.0.1:{app.server_address[1]}{landed[0]}"
    assert f"iss={requests.utils.quote(issuer, safe='')}" in callback, f"RFC 9207 iss missing: {callback}"
    token = session.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier,
                                state=state)
    assert token["token_type"].lower() == "bearer" and "id_token" in token, token

    # RP-initiated logout: the application sends the person to the
    # end_session_endpoint with its ID token; they confirm on authd's page
    # and come back to the registered address with the state.
    logout = requests.Request("GET", discovery["end_session_endpoint"], params={
        "id_token_hint": token["id_token"], "post_logout_redirect_uri": signed_out_uri, "state": "bye-1"}).prepare().url
    browser.get(logout)
    wait.until(ec.element_to_be_clickable((By.ID, "sign-out"))).click()
    deadline = time.time() + 20
    while not any(p.startswith("/signed-out") for p in landed) and time.time() < deadline:
        time.sleep(0.1)
    back = [p for p in landed if p.startswith("/signed-out")]
    assert back == ["/signed-out?state=bye-1"], f"the logout never came back: {landed}; at {browser.current_url}"
    browser.get(base + "/ui/account")
    assert "/ui/login" in browser.current_url, f"still signed in at authd: {browser.current_url}"
finally:
    browser.quit()
app.shutdown()

keys = JsonWebKey.import_key_set(requests.get(discovery["jwks_uri"]).json())
claims = jwt.decode(token["id_token"], keys, claims_cls=CodeIDToken,
                    claims_options={"iss": {"essential": True, "values": [issuer]},
                                    "aud": {"essential": True, "values": [client["client_id"]]}},
                    claims_params={"nonce": nonce, "client_id": client["client_id"],
                                   "access_token": token["access_token"]})
claims.validate(leeway=5)
assert claims.header["alg"] == "RS256", claims.header
assert claims["sub"] == user_id and claims["email"] == f"{name}@example.com", dict(claims)
assert claims["acr"] == "aal1" and claims["amr"] == ["pwd"], dict(claims)

info = session.get(discovery["userinfo_endpoint"]).json()
assert info["sub"] == user_id and info["preferred_username"] == name, info
print(f"authlib signed {name} in: ID token {claims.header['alg']} kid {claims.header['kid']} verified "
      f"from the JWKS (iss, aud, azp, exp, iat, nonce, at_hash); userinfo answered; signed out by RP logout")

# The same client, for itself: client_credentials with client_secret_post,
# then introspection and revocation as authlib sends them.
service = OAuth2Session(client["client_id"], client["client_secret"], token_endpoint_auth_method="client_secret_post")
own = service.fetch_token(discovery["token_endpoint"], grant_type="client_credentials")
assert own["token_type"].lower() == "bearer" and "refresh_token" not in own and "id_token" not in own, own
live = service.introspect_token(discovery["introspection_endpoint"], token=own["access_token"]).json()
assert live["active"] is True and live["sub"] == client["client_id"] == live["client_id"], live
assert service.revoke_token(discovery["revocation_endpoint"], token=own["access_token"]).status_code == 200
dead = service.introspect_token(discovery["introspection_endpoint"], token=own["access_token"]).json()
assert dead == {"active": False}, dead
print("authlib's client_credentials token: issued, introspected active with the client as subject, revoked, inactive")
