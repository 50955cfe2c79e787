#!/usr/bin/env python3
"""Writes authd.postman_collection.json and authd.postman_environment.json.

Edit the request list here and run `python3 postman/generate.py`; the JSON
files are committed so Postman users need nothing else. The collection runs
in two folders: "1 Login" ends with a mailed code and a code sent to a phone;
the runner reads both from the message log and passes them as the `otp` and
`phoneCode` variables to "2 Session".
"""
import json
import pathlib

HERE = pathlib.Path(__file__).parent


def test(*lines):
    return {"listen": "test", "script": {"type": "text/javascript", "exec": list(lines)}}


def pre(*lines):
    return {"listen": "prerequest", "script": {"type": "text/javascript", "exec": list(lines)}}


def status(code):
    return f'pm.test("status is {code}", () => pm.response.to.have.status({code}));'


def problem(code, word):
    return [
        status(code),
        'pm.test("problem+json", () => pm.expect(pm.response.headers.get("Content-Type")).to.include("application/problem+json"));',
        f'pm.test("code is {word}", () => pm.expect(pm.response.json().code).to.eql("{word}"));',
    ]


def request(name, method, path, *, token=None, body=None, form=None, events=()):
    outside_api = path.startswith(("/health", "/ui", "/.well-known", "/oauth2"))
    req = {"method": method, "header": [], "url": "{{baseUrl}}" + path if outside_api else "{{baseUrl}}/api/v1" + path}
    if token:
        req["auth"] = {"type": "bearer", "bearer": [{"key": "token", "value": "{{" + token + "}}", "type": "string"}]}
    else:
        req["auth"] = {"type": "noauth"}
    if body is not None:
        req["header"].append({"key": "Content-Type", "value": "application/json"})
        req["body"] = {"mode": "raw", "raw": json.dumps(body, indent=2)}
    if form is not None:
        req["body"] = {"mode": "urlencoded", "urlencoded": [{"key": k, "value": v} for k, v in form.items()]}
    return {"name": name, "request": req, "event": list(events)}


def save(var, expr):
    return f'pm.environment.set("{var}", {expr});'


PASSWORD = "{{password}}"

# RFC 6238 (SHA-1, 6 digits, 30 s) in the Postman sandbox, which has CryptoJS:
# `totp(base32Secret, stepsAhead)`.
TOTP_JS = (
    'function base32ToHex(b32) { const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"; let bits = ""; '
    'for (const c of b32.replace(/=+$/, "").toUpperCase()) bits += a.indexOf(c).toString(2).padStart(5, "0"); '
    'let hex = ""; for (let i = 0; i + 8 <= bits.length; i += 8) hex += parseInt(bits.substr(i, 8), 2).toString(16).padStart(2, "0"); return hex; }',
    'function totp(b32, ahead) { const step = Math.floor(Date.now() / 30000) + ahead; '
    'const mac = CryptoJS.HmacSHA1(CryptoJS.enc.Hex.parse(step.toString(16).padStart(16, "0")), CryptoJS.enc.Hex.parse(base32ToHex(b32))).toString(); '
    'const o = parseInt(mac.substr(-1), 16); return ((parseInt(mac.substr(o * 2, 8), 16) & 0x7fffffff) % 1000000).toString().padStart(6, "0"); }',
)

login_folder = [
    request("Health: ready", "GET", "/health/ready", events=[test(status(200))]),
    request(
        "Token-signing public keys (JWKS)",
        "GET",
        "/.well-known/jwks.json",
        events=[
            test(
                status(200),
                'pm.test("a JWK set", () => pm.expect(pm.response.json().keys).to.be.an("array"));',
                'pm.test("every key is Ed25519 (EdDSA) or RSA (RS256), with a kid", () => pm.response.json().keys.forEach(k => { pm.expect(k.kid).to.be.a("string"); if (k.kty === "RSA") { pm.expect(k.alg).to.eql("RS256"); pm.expect(k.n).to.be.a("string"); pm.expect(k.e).to.be.a("string"); } else { pm.expect(k.kty).to.eql("OKP"); pm.expect(k.crv).to.eql("Ed25519"); } }));',
                'pm.test("cacheable", () => pm.expect(pm.response.headers.get("Cache-Control")).to.include("max-age="));',
            )
        ],
    ),
    request(
        "Register a two-factor user",
        "POST",
        "/users/registration",
        body={"email": "{{email}}", "username": "{{username}}", "name": "Ada", "lastname": "Lovelace", "password": PASSWORD, "is_2fa": True},
        events=[
            pre(
                'const tag = "pm" + Date.now().toString(36) + Math.floor(Math.random() * 1e6).toString(36);',
                save("username", "tag"),
                save("email", 'tag + "@example.com"'),
                save("plainUsername", 'tag + "-plain"'),
                save("plainEmail", 'tag + "-plain@example.com"'),
                save("doomedUsername", 'tag + "-doomed"'),
                save("doomedEmail", 'tag + "-doomed@example.com"'),
                save("phone", '"+1415" + (2 + Math.floor(Math.random() * 8)) + String(Math.floor(Math.random() * 1e6)).padStart(6, "0")'),
            ),
            test(
                status(201),
                'const u = pm.response.json();',
                'pm.test("is the new user, without secrets", () => { pm.expect(u.email).to.eql(pm.environment.get("email")); pm.expect(u.is_2fa).to.eql(true); pm.expect(JSON.stringify(u)).to.not.include("password"); });',
                save("userId", "u.id"),
            ),
        ],
    ),
    request(
        "Register: email taken",
        "POST",
        "/users/registration",
        body={"email": "{{email}}", "username": "{{username}}x", "name": "Ada", "lastname": "Lovelace", "password": PASSWORD},
        events=[test(*problem(409, "email_taken"))],
    ),
    request(
        "Register: weak password",
        "POST",
        "/users/registration",
        body={"email": "weak-{{email}}", "username": "{{username}}w", "name": "Ada", "lastname": "Lovelace", "password": "password1"},
        events=[test(*problem(400, "password_weak"))],
    ),
    request(
        "Register a user without two-factor",
        "POST",
        "/users/registration",
        body={"email": "{{plainEmail}}", "username": "{{plainUsername}}", "name": "Plain", "lastname": "User", "password": PASSWORD},
        events=[test(status(201))],
    ),
    request(
        "Register a user an admin will delete",
        "POST",
        "/users/registration",
        body={"email": "{{doomedEmail}}", "username": "{{doomedUsername}}", "name": "Doomed", "lastname": "User", "password": PASSWORD},
        events=[test(status(201), save("doomedId", "pm.response.json().id"))],
    ),
    request(
        "Token: wrong password",
        "POST",
        "/auth/token",
        form={"username": "{{username}}", "password": "not-the-password-1"},
        events=[test(*problem(400, "invalid_credentials"))],
    ),
    request(
        "Token (form): second factor due",
        "POST",
        "/auth/token",
        form={"grant_type": "password", "username": "{{username}}", "password": PASSWORD},
        events=[
            test(
                status(200),
                'const b = pm.response.json();',
                'pm.test("temporary token, mail method, no access token", () => { pm.expect(b.temporary_token).to.be.a("string"); pm.expect(b.methods).to.include("email"); pm.expect(b.access_token).to.be.undefined; });',
                'pm.test("not cached", () => pm.expect(pm.response.headers.get("Cache-Control")).to.eql("no-store"));',
                save("temporaryToken", "b.temporary_token"),
            )
        ],
    ),
    request(
        "OTP status: where the mailed code is",
        "GET",
        "/auth/otp-status",
        token="temporaryToken",
        events=[test(status(200), 'const b = pm.response.json();', 'pm.test("by mail, untouched", () => { pm.expect(b.method).to.eql("email"); pm.expect(["queued", "sent"]).to.include(b.delivery); pm.expect(b.remaining_attempts).to.eql(5); pm.expect(b.resends_left).to.eql(3); });')],
    ),
    request("Resend OTP: within the cooldown", "POST", "/auth/resend-otp", token="temporaryToken", events=[test(*problem(429, "otp_resend_cooldown"), 'pm.test("Retry-After", () => pm.expect(Number(pm.response.headers.get("Retry-After"))).to.be.above(0));')]),
    request("Verify OTP: malformed code", "POST", "/auth/verify-otp", token="temporaryToken", body={"otp": "12"}, events=[test(*problem(400, "invalid_field"))]),
    request("Users/me: a temporary token is refused", "GET", "/users/me", token="temporaryToken", events=[test(*problem(401, "token_invalid"))]),
    request("Phone user: log in", "POST", "/auth/token", body={"username": "{{doomedEmail}}", "password": PASSWORD}, events=[test(status(200), save("phoneToken", "pm.response.json().access_token"))]),
    request("Phone: not a number", "PATCH", "/users/me", token="phoneToken", body={"phone": "12345"}, events=[test(*problem(400, "invalid_field"))]),
    request("Phone: a new number needs the password", "PATCH", "/users/me", token="phoneToken", body={"phone": "{{phone}}"}, events=[test(*problem(400, "password_required"))]),
    request(
        "Phone: add a number",
        "PATCH",
        "/users/me",
        token="phoneToken",
        body={"phone": "{{phone}}", "password": PASSWORD},
        events=[test(status(200), 'const u = pm.response.json();', 'pm.test("stored in E.164, unverified", () => { pm.expect(u.phone).to.eql(pm.environment.get("phone")); pm.expect(u.phone_verified).to.eql(false); });')],
    ),
    request("Phone: WhatsApp has no sender here", "POST", "/users/me/phone/verify", token="phoneToken", body={"channel": "whatsapp"}, events=[test(*problem(400, "channel_unavailable"))]),
    request(
        "Phone: send a code by SMS",
        "POST",
        "/users/me/phone/verify",
        token="phoneToken",
        events=[test(status(202), 'const b = pm.response.json();', 'pm.test("by SMS, queued", () => { pm.expect(b.method).to.eql("sms"); pm.expect(b.delivery).to.eql("queued"); pm.expect(b.retry_after).to.be.above(0); });')],
    ),
    request("Phone: again within the cooldown", "POST", "/users/me/phone/verify", token="phoneToken", events=[test(*problem(429, "otp_resend_cooldown"))]),
    request("Phone: where the code is", "GET", "/users/me/phone/verification", token="phoneToken", events=[test(status(200), 'pm.test("five tries left", () => pm.expect(pm.response.json().remaining_attempts).to.eql(5));')]),
]

session_folder = [
    request(
        "Verify OTP: the mailed code, trusting this device",
        "POST",
        "/auth/verify-otp",
        token="temporaryToken",
        body={"otp": "{{otp}}", "remember_device": True},
        events=[
            test(
                status(200),
                'const b = pm.response.json();',
                'pm.test("token pair", () => { pm.expect(b.token_type).to.eql("bearer"); pm.expect(b.access_token).to.be.a("string"); pm.expect(b.refresh_token).to.be.a("string"); });',
                'pm.test("a device token", () => pm.expect(b.device_token).to.match(/^[0-9a-f]{64}$/));',
                save("accessToken", "b.access_token"),
                save("refreshToken", "b.refresh_token"),
                save("firstRefreshToken", "b.refresh_token"),
                save("deviceToken", "b.device_token"),
            )
        ],
    ),
    request("Log in on the trusted device: the password alone", "POST", "/auth/token", body={"username": "{{username}}", "password": PASSWORD, "device_token": "{{deviceToken}}"}, events=[test(status(200), 'pm.test("no code asked", () => pm.expect(pm.response.json().access_token).to.be.a("string"));')]),
    request("Verify OTP: the code is used", "POST", "/auth/verify-otp", token="temporaryToken", body={"otp": "{{otp}}"}, events=[test(*problem(400, "otp_used"))]),
    request(
        "Phone: a wrong code",
        "POST",
        "/users/me/phone/confirm",
        token="phoneToken",
        body={"code": "{{wrongPhoneCode}}"},
        events=[
            pre('const c = pm.environment.get("phoneCode");', 'pm.environment.set("wrongPhoneCode", c === "000000" ? "111111" : "000000");'),
            test(*problem(400, "otp_invalid"), 'pm.test("four tries left", () => pm.expect(pm.response.json().remaining_attempts).to.eql(4));'),
        ],
    ),
    request("Phone: confirm the code", "POST", "/users/me/phone/confirm", token="phoneToken", body={"code": "{{phoneCode}}"}, events=[test(status(200), 'pm.test("verified", () => pm.expect(pm.response.json().phone_verified).to.eql(true));')]),
    request("Email: not proved yet", "GET", "/users/me", token="accessToken", events=[test(status(200), 'pm.test("unverified", () => pm.expect(pm.response.json().email_verified).to.eql(false));')]),
    request("Email: prove the address with the mailed link", "POST", "/auth/verify-email", body={"token": "{{emailToken}}"}, events=[test(status(200), 'pm.test("proved", () => pm.expect(pm.response.json().email_verified).to.eql(true));')]),
    request("Email: the link works once", "POST", "/auth/verify-email", body={"token": "{{emailToken}}"}, events=[test(*problem(400, "verification_invalid"))]),
    request("Email: the code with the address, wrong", "POST", "/auth/verify-email", body={"email": "{{email}}", "code": "00000000"}, events=[test(*problem(400, "verification_invalid"))]),
    request("Email: no new mail for a proved address", "POST", "/users/me/email/verify", token="accessToken", events=[test(*problem(409, "already_verified"))]),
    request("Verify token", "POST", "/auth/verify-token", token="accessToken", events=[test(status(200), 'pm.test("message is true", () => pm.expect(pm.response.json().message).to.eql(true));', 'pm.test("user", () => pm.expect(pm.response.json().user_id).to.eql(pm.environment.get("userId")));', 'pm.test("a password and a mailed code: pwd otp mfa at aal2", () => { const b = pm.response.json(); pm.expect(b.amr).to.eql(["pwd", "otp", "mfa"]); pm.expect(b.acr).to.eql("aal2"); pm.expect(Date.parse(b.auth_time)).to.be.above(0); });', 'pm.test("the session may do anything (no second factor is due)", () => pm.expect(pm.response.json().second_factor_required).to.eql(false));')]),
    request("Reauthenticate: nothing to prove it", "POST", "/auth/reauthenticate", token="accessToken", body={}, events=[test(*problem(400, "invalid_field"))]),
    request("Reauthenticate: a wrong password", "POST", "/auth/reauthenticate", token="accessToken", body={"password": "not-the-password-1"}, events=[test(*problem(400, "password_incorrect"))]),
    request("Reauthenticate: no passkey to do it with", "POST", "/auth/reauthenticate/passkey-options", token="accessToken", events=[test(*problem(400, "method_unavailable"))]),
    request("Users/me", "GET", "/users/me", token="accessToken", events=[test(status(200), 'pm.test("me", () => pm.expect(pm.response.json().id).to.eql(pm.environment.get("userId")));')]),
    request("Users/me: change the name", "PATCH", "/users/me", token="accessToken", body={"name": "Augusta"}, events=[test(status(200), 'pm.test("renamed", () => pm.expect(pm.response.json().full_name).to.eql("Augusta Lovelace"));')]),
    request("Users/me: my sessions", "GET", "/users/me/sessions", token="accessToken", events=[test(status(200), 'const items = pm.response.json().items;', 'pm.test("this one is listed as current", () => pm.expect(items.filter(i => i.current).length).to.eql(1));')]),
    request("Trusted devices: this one", "GET", "/users/me/trusted-devices", token="accessToken", events=[test(status(200), 'const items = pm.response.json().items;', 'pm.test("one, used once", () => { pm.expect(items.length).to.eql(1); pm.expect(items[0].last_used_at).to.be.a("string"); });')]),
    request("Trusted devices: forgetting one that is not mine", "DELETE", "/users/me/trusted-devices/00000000-0000-4000-8000-000000000000", token="accessToken", events=[test(*problem(404, "trusted_device_not_found"))]),
    request("Users/me: ending a session that is not mine", "DELETE", "/users/me/sessions/00000000-0000-4000-8000-000000000000", token="accessToken", events=[test(*problem(404, "session_not_found"))]),
    request("Users/me: my events", "GET", "/users/me/events?limit=5", token="accessToken", events=[test(status(200), 'pm.test("the login is recorded", () => pm.expect(pm.response.json().items.map(e => e.kind)).to.include("login_succeeded"));')]),
    request("Users/me: cannot make myself admin", "PATCH", "/users/me", token="accessToken", body={"is_admin": True}, events=[test(*problem(400, "bad_request"))]),
    request("TOTP: enrol, wrong password", "POST", "/users/me/totp", token="accessToken", body={"password": "not-the-password-1"}, events=[test(*problem(400, "password_incorrect"))]),
    request(
        "TOTP: enrol an authenticator app",
        "POST",
        "/users/me/totp",
        token="accessToken",
        body={"password": PASSWORD},
        events=[
            test(
                status(201),
                'const b = pm.response.json();',
                'pm.test("secret, otpauth URI and QR code", () => { pm.expect(b.otpauth_url).to.match(/^otpauth:\\/\\/totp\\/authd:.*algorithm=SHA1&digits=6&period=30$/); pm.expect(b.qr_png).to.match(/^iVBORw0KGgo/); });',
                save("totpSecret", "b.secret"),
            )
        ],
    ),
    request(
        "TOTP: confirm with the app's code",
        "POST",
        "/users/me/totp/confirm",
        token="accessToken",
        body={"code": "{{totpCode}}"},
        events=[
            pre(*TOTP_JS, 'pm.environment.set("totpCode", totp(pm.environment.get("totpSecret"), 0));'),
            test(
                status(200),
                'const codes = pm.response.json().recovery_codes;',
                'pm.test("ten recovery codes", () => pm.expect(codes).to.have.lengthOf(10));',
                save("recoveryCode", "codes[0]"),
            ),
        ],
    ),
    request("Second factors", "GET", "/users/me/second-factors", token="accessToken", events=[test(status(200), 'const b = pm.response.json();', 'pm.test("app active, ten codes", () => { pm.expect(b.methods).to.eql(["totp", "recovery_code"]); pm.expect(b.totp.active).to.eql(true); pm.expect(b.recovery_codes_left).to.eql(10); });')]),
    request("Passkeys: adding one needs the password", "POST", "/users/me/passkeys/options", token="accessToken", body={"password": "not-the-password-1"}, events=[test(*problem(400, "password_incorrect"))]),
    request(
        "Passkeys: options to add one",
        "POST",
        "/users/me/passkeys/options",
        token="accessToken",
        body={"password": PASSWORD},
        events=[
            test(
                status(200),
                'const b = pm.response.json(); const pk = b.options.publicKey;',
                'pm.test("a ceremony", () => pm.expect(b.ceremony_id).to.be.a("string"));',
                'pm.test("a discoverable, user-verified credential", () => { pm.expect(pk.authenticatorSelection.residentKey).to.eql("required"); pm.expect(pk.authenticatorSelection.userVerification).to.eql("required"); });',
                'pm.test("a base64url challenge", () => pm.expect(pk.challenge).to.match(/^[A-Za-z0-9_-]{43,}$/));',
                save("ceremonyId", "b.ceremony_id"),
            )
        ],
    ),
    request(
        "Passkeys: a made-up credential is refused",
        "POST",
        "/users/me/passkeys",
        token="accessToken",
        body={"ceremony_id": "{{ceremonyId}}", "name": "Made up", "credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"attestationObject": "AAAA", "clientDataJSON": "AAAA"}, "clientExtensionResults": {}}},
        events=[test(*problem(400, "passkey_invalid"))],
    ),
    request("Passkeys: the list", "GET", "/users/me/passkeys", token="accessToken", events=[test(status(200), 'pm.test("none was added", () => pm.expect(pm.response.json().passkeys).to.eql([]));')]),
    request(
        "Passkey sign-in: options",
        "POST",
        "/auth/passkey/start",
        body={},
        events=[
            test(
                status(200),
                'const b = pm.response.json();',
                'pm.test("no credential named, user verification required", () => { pm.expect(b.options.publicKey.allowCredentials || []).to.eql([]); pm.expect(b.options.publicKey.userVerification).to.eql("required"); });',
                save("signInCeremonyId", "b.ceremony_id"),
            )
        ],
    ),
    request(
        "Passkey sign-in: an unknown passkey",
        "POST",
        "/auth/passkey/finish",
        body={"ceremony_id": "{{signInCeremonyId}}", "credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA", "userHandle": "AAAA"}, "clientExtensionResults": {}}},
        events=[test(*problem(400, "passkey_invalid"))],
    ),
    request(
        "TOTP user: log in",
        "POST",
        "/auth/token",
        body={"username": "{{username}}", "password": PASSWORD},
        events=[test(status(200), 'pm.test("the app first", () => pm.expect(pm.response.json().methods).to.eql(["totp", "recovery_code"]));', save("totpTemporary", "pm.response.json().temporary_token"))],
    ),
    request(
        "Verify OTP: the app's next code",
        "POST",
        "/auth/verify-otp",
        token="totpTemporary",
        body={"otp": "{{totpCode}}", "method": "totp"},
        events=[
            pre(*TOTP_JS, 'pm.environment.set("totpCode", totp(pm.environment.get("totpSecret"), 1));'),
            test(status(200), 'pm.test("token pair", () => pm.expect(pm.response.json().access_token).to.be.a("string"));'),
        ],
    ),
    request(
        "TOTP user: log in again",
        "POST",
        "/auth/token",
        body={"username": "{{username}}", "password": PASSWORD},
        events=[test(status(200), save("totpTemporary", "pm.response.json().temporary_token"))],
    ),
    request("Verify OTP: the same app code again", "POST", "/auth/verify-otp", token="totpTemporary", body={"otp": "{{totpCode}}"}, events=[test(*problem(400, "otp_used"))]),
    request("Verify OTP: mail is no method here", "POST", "/auth/verify-otp", token="totpTemporary", body={"otp": "123456", "method": "email"}, events=[test(*problem(400, "method_unavailable"))]),
    request("Passkey login step: no passkey on this account", "POST", "/auth/passkey/options", token="totpTemporary", body={}, events=[test(*problem(400, "method_unavailable"))]),
    request("Verify OTP: a recovery code", "POST", "/auth/verify-otp", token="totpTemporary", body={"otp": "{{recoveryCode}}", "method": "recovery_code"}, events=[test(status(200), 'pm.test("nine left", () => pm.expect(pm.response.json().recovery_codes_left).to.eql(9));')]),
    request("Recovery codes: a new set", "POST", "/users/me/recovery-codes", token="accessToken", body={"password": PASSWORD}, events=[test(status(200), 'pm.test("ten new codes", () => pm.expect(pm.response.json().recovery_codes).to.have.lengthOf(10));')]),
    request("TOTP: remove the app", "DELETE", "/users/me/totp", token="accessToken", body={"password": PASSWORD}, events=[test(status(204))]),
    request(
        "Refresh token",
        "POST",
        "/auth/refresh-token",
        body={"refresh_token": "{{refreshToken}}"},
        events=[
            test(
                status(200),
                'const b = pm.response.json();',
                'pm.test("rotated", () => pm.expect(b.refresh_token).to.not.eql(pm.environment.get("refreshToken")));',
                save("accessToken", "b.access_token"),
                save("refreshToken", "b.refresh_token"),
            )
        ],
    ),
    request("Refresh: an access token is refused", "POST", "/auth/refresh-token", body={"refresh_token": "{{accessToken}}"}, events=[test(*problem(401, "token_invalid"))]),
    request(
        "Admin: log in (JSON)",
        "POST",
        "/auth/token",
        body={"username": "{{adminUsername}}", "password": "{{adminPassword}}"},
        events=[test(status(200), save("adminToken", "pm.response.json().access_token"))],
    ),
    request(
        "Admin: list users, searching",
        "GET",
        "/users?q={{username}}&limit=10",
        token="adminToken",
        events=[test(status(200), 'const p = pm.response.json();', 'pm.test("found the user", () => pm.expect(p.items.map(u => u.id)).to.include(pm.environment.get("userId")));')],
    ),
    request("Admin: list users, filtered", "GET", "/users?is_admin=true&limit=100", token="adminToken", events=[test(status(200), 'pm.test("only admins", () => pm.response.json().items.forEach(u => pm.expect(u.is_admin).to.eql(true)));')]),
    request("Admin: read a user", "GET", "/users/{{userId}}", token="adminToken", events=[test(status(200), 'pm.test("the user", () => pm.expect(pm.response.json().email).to.eql(pm.environment.get("email")));')]),
    request("Admin: change a user", "PATCH", "/users/{{userId}}", token="adminToken", body={"lastname": "King"}, events=[test(status(200), 'pm.test("changed", () => pm.expect(pm.response.json().lastname).to.eql("King"));')]),
    request("Admin: a user's events", "GET", "/users/{{userId}}/events?limit=100", token="adminToken", events=[test(status(200), 'const kinds = pm.response.json().items.map(e => e.kind);', 'pm.test("login and admin change recorded", () => { pm.expect(kinds).to.include("otp_verified"); pm.expect(kinds).to.include("user_updated_by_admin"); });')]),
    request("Admin: reset a user's second factors", "DELETE", "/users/{{userId}}/second-factors", token="adminToken", events=[test(status(204))]),
    request("Admin: delete a user", "DELETE", "/users/{{doomedId}}", token="adminToken", events=[test(status(204))]),
    request("Admin: the deleted user is gone", "GET", "/users/{{doomedId}}", token="adminToken", events=[test(*problem(404, "user_not_found"))]),
    request("Admin: a non-admin is refused", "GET", "/users", token="accessToken", events=[test(*problem(403, "forbidden"))]),
    request("Plain user: log in", "POST", "/auth/token", body={"username": "{{plainEmail}}", "password": PASSWORD}, events=[test(status(200), save("plainToken", "pm.response.json().access_token"))]),
    request("Plain user: delete me, wrong password", "DELETE", "/users/me", token="plainToken", body={"password": "not-my-password-1"}, events=[test(*problem(400, "password_incorrect"))]),
    request("Plain user: delete me", "DELETE", "/users/me", token="plainToken", body={"password": PASSWORD}, events=[test(status(204))]),
    request(
        "Change password",
        "POST",
        "/users/change-password",
        token="accessToken",
        body={"current_password": PASSWORD, "password": "{{password}}-renewed", "confirm_password": "{{password}}-renewed"},
        events=[test(status(200), 'pm.test("message", () => pm.expect(pm.response.json().message).to.eql("Password updated"));')],
    ),
    request(
        "Reauthenticate: with the password",
        "POST",
        "/auth/reauthenticate",
        token="accessToken",
        body={"password": "{{password}}-renewed"},
        events=[
            test(
                status(200),
                "const b = pm.response.json();",
                'pm.test("a new pair", () => pm.expect(b.refresh_token).to.not.eql(pm.environment.get("refreshToken")));',
                save("accessToken", "b.access_token"),
                save("refreshToken", "b.refresh_token"),
            )
        ],
    ),
    request("Reauthenticate: the token says pwd at aal1, proved now", "POST", "/auth/verify-token", token="accessToken", events=[test(status(200), 'pm.test("pwd at aal1, within the last minute", () => { const b = pm.response.json(); pm.expect(b.amr).to.eql(["pwd"]); pm.expect(b.acr).to.eql("aal1"); pm.expect(Date.now() - Date.parse(b.auth_time)).to.be.below(60000); });')]),
    request("Logout", "POST", "/auth/logout", token="accessToken", events=[test(status(204))]),
    request("Verify token: after logout", "POST", "/auth/verify-token", token="accessToken", events=[test(*problem(401, "session_revoked"))]),
    request("Refresh: an old refresh token", "POST", "/auth/refresh-token", body={"refresh_token": "{{firstRefreshToken}}"}, events=[test(status(401))]),
    request("Password reset: ask, for an address with no account", "POST", "/auth/password-reset", body={"email": "nobody-{{username}}@example.com"}, events=[test(status(202), save("resetAnswer", "JSON.stringify(pm.response.json())"))]),
    request("Password reset: ask, for the user's proved address", "POST", "/auth/password-reset", body={"email": "{{email}}"}, events=[test(status(202), 'pm.test("the same answer", () => pm.expect(JSON.stringify(pm.response.json())).to.eql(pm.environment.get("resetAnswer")));')]),
]

# The reset mailed to {{email}}: its link's token is read from the log.
reset_folder = [
    request("Password reset: a weak password spends nothing", "POST", "/auth/password-reset/confirm", body={"token": "{{resetToken}}", "password": "password1", "confirm_password": "password1"}, events=[test(*problem(400, "password_weak"))]),
    request(
        "Password reset: a new password, and the second factor is still due",
        "POST",
        "/auth/password-reset/confirm",
        body={"token": "{{resetToken}}", "password": "{{password}}-reset", "confirm_password": "{{password}}-reset"},
        events=[test(status(200), 'const b = pm.response.json();', 'pm.test("a temporary token, no session", () => { pm.expect(b.temporary_token).to.be.a("string"); pm.expect(b.methods).to.include("email"); pm.expect(b.access_token).to.be.undefined; });')],
    ),
    request("Password reset: the link works once", "POST", "/auth/password-reset/confirm", body={"token": "{{resetToken}}", "password": "{{password}}-reset", "confirm_password": "{{password}}-reset"}, events=[test(*problem(400, "reset_invalid"))]),
]

# Applications for the verification API, managed by an administrator.
apps_folder = [
    request(
        "Admin: log in",
        "POST",
        "/auth/token",
        body={"username": "{{adminUsername}}", "password": "{{adminPassword}}"},
        events=[test(status(200), save("adminToken", "pm.response.json().access_token"))],
    ),
    request(
        "Apps: register an application",
        "POST",
        "/apps",
        token="adminToken",
        body={"name": "Postman shop", "channels": ["email", "sms"], "code_length": 8, "ttl_seconds": 600},
        events=[
            test(
                status(201),
                "const b = pm.response.json();",
                'pm.test("key shown once, prefixed", () => pm.expect(b.api_key).to.match(/^authd_app_[0-9a-f]{40}$/));',
                'pm.test("settings", () => { pm.expect(b.code_length).to.eql(8); pm.expect(b.max_attempts).to.eql(5); });',
                save("appId", "b.id"),
                save("apiKey", "b.api_key"),
            )
        ],
    ),
    request("Apps: a setting out of range", "POST", "/apps", token="adminToken", body={"name": "Bad", "channels": ["email"], "code_length": 3}, events=[test(*problem(400, "invalid_field"), 'pm.test("names the field", () => pm.expect(pm.response.json().field).to.eql("code_length"));')]),
    request("Apps: list", "GET", "/apps?limit=100", token="adminToken", events=[test(status(200), 'pm.test("listed", () => pm.expect(pm.response.json().items.map(a => a.id)).to.include(pm.environment.get("appId")));')]),
    request(
        "Apps: read one, never its key",
        "GET",
        "/apps/{{appId}}",
        token="adminToken",
        events=[test(status(200), "const b = pm.response.json();", 'pm.test("no key", () => pm.expect(b.api_key).to.be.undefined);', 'pm.test("the key\'s hint", () => pm.expect(pm.environment.get("apiKey")).to.include(b.keys[0].hint));')],
    ),
    request("Apps: change", "PATCH", "/apps/{{appId}}", token="adminToken", body={"max_attempts": 3}, events=[test(status(200), 'pm.test("changed", () => pm.expect(pm.response.json().max_attempts).to.eql(3));')]),
    request(
        "Apps: rotate the key",
        "POST",
        "/apps/{{appId}}/keys",
        token="adminToken",
        events=[test(status(201), "const b = pm.response.json();", 'pm.test("a new key; the old one ends later", () => { pm.expect(b.api_key).to.not.eql(pm.environment.get("apiKey")); pm.expect(b.previous_keys_expire_at).to.be.a("string"); });', save("apiKey", "b.api_key"))],
    ),
    request("Apps: events", "GET", "/apps/{{appId}}/events", token="adminToken", events=[test(status(200), 'const kinds = pm.response.json().items.map(e => e.kind);', 'pm.test("recorded", () => pm.expect(kinds).to.include.members(["app_created", "app_updated", "app_key_rotated"]));')]),
    request("Apps: no token is refused", "GET", "/apps", events=[test(*problem(401, "token_missing"))]),
    request(
        "Clients: register an OpenID Connect client",
        "POST",
        "/clients",
        token="adminToken",
        body={"name": "Postman Grafana", "type": "confidential", "redirect_uris": ["https://grafana.example.com/login/generic_oauth"]},
        events=[
            test(
                status(201),
                "const b = pm.response.json();",
                'pm.test("secret shown once, prefixed", () => pm.expect(b.client_secret).to.match(/^authd_cs_[0-9a-f]{40}$/));',
                'pm.test("RS256 and every scope by default", () => { pm.expect(b.id_token_signed_response_alg).to.eql("RS256"); pm.expect(b.scopes).to.include("openid"); });',
                save("clientId", "b.client_id"),
                save("clientSecret", "b.client_secret"),
            )
        ],
    ),
    request("Clients: a redirect URI in plain HTTP is refused", "POST", "/clients", token="adminToken", body={"name": "Bad", "type": "public", "redirect_uris": ["http://app.example.com/cb"]}, events=[test(*problem(400, "invalid_field"), 'pm.test("names the field", () => pm.expect(pm.response.json().field).to.eql("redirect_uris"));')]),
    request("Clients: read one, never its secret", "GET", "/clients/{{clientId}}", token="adminToken", events=[test(status(200), "const b = pm.response.json();", 'pm.test("no secret", () => pm.expect(b.client_secret).to.be.undefined);', 'pm.test("the secret\'s hint", () => pm.expect(pm.environment.get("clientSecret")).to.include(b.secrets[0].hint));')]),
    request("Clients: rotate the secret", "POST", "/clients/{{clientId}}/secret", token="adminToken", events=[test(status(201), 'pm.test("a new secret", () => pm.expect(pm.response.json().client_secret).to.not.eql(pm.environment.get("clientSecret")));')]),
    request("Clients: change", "PATCH", "/clients/{{clientId}}", token="adminToken", body={"skip_consent": True}, events=[test(status(200), 'pm.test("changed", () => pm.expect(pm.response.json().skip_consent).to.eql(true));')]),
    request(
        "OpenID Connect discovery",
        "GET",
        "/.well-known/openid-configuration",
        events=[
            test(
                status(200),
                "const d = pm.response.json();",
                'pm.test("the issuer, without a trailing slash", () => pm.expect(d.issuer).to.not.match(/\\/$/));',
                'pm.test("its endpoints", () => { pm.expect(d.authorization_endpoint).to.eql(d.issuer + "/oauth2/authorize"); pm.expect(d.token_endpoint).to.eql(d.issuer + "/oauth2/token"); pm.expect(d.jwks_uri).to.eql(d.issuer + "/.well-known/jwks.json"); });',
                'pm.test("code flow, PKCE S256, RS256", () => { pm.expect(d.response_types_supported).to.eql(["code"]); pm.expect(d.code_challenge_methods_supported).to.eql(["S256"]); pm.expect(d.id_token_signing_alg_values_supported).to.include("RS256"); pm.expect(d.authorization_response_iss_parameter_supported).to.eql(true); });',
                'pm.test("grant types", () => pm.expect(d.grant_types_supported).to.eql(["authorization_code", "refresh_token", "client_credentials"]));',
                'pm.test("RP-initiated logout", () => pm.expect(d.end_session_endpoint).to.eql(d.issuer + "/oauth2/logout"));',
            )
        ],
    ),
    request(
        "Token endpoint: an unknown client is invalid_client",
        "POST",
        "/oauth2/token",
        form={"grant_type": "authorization_code", "code": "x", "client_id": "00000000-0000-0000-0000-000000000000"},
        events=[test(status(401), 'pm.test("invalid_client", () => pm.expect(pm.response.json().error).to.eql("invalid_client"));', 'pm.test("WWW-Authenticate", () => pm.expect(pm.response.headers.get("WWW-Authenticate")).to.include("Basic"));')],
    ),
    request(
        "Token endpoint: an unknown code is invalid_grant",
        "POST",
        "/oauth2/token",
        form={"grant_type": "authorization_code", "code": "authd_ac_0000000000000000000000000000000000000000", "client_id": "{{clientId}}", "client_secret": "{{clientSecret}}", "redirect_uri": "https://grafana.example.com/login/generic_oauth", "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"},
        events=[test(status(400), 'pm.test("invalid_grant", () => pm.expect(pm.response.json().error).to.eql("invalid_grant"));', 'pm.test("never cached", () => pm.expect(pm.response.headers.get("Cache-Control")).to.eql("no-store"));')],
    ),
    request(
        "Token endpoint: the password grant is not served",
        "POST",
        "/oauth2/token",
        form={"grant_type": "password", "username": "x", "password": "y", "client_id": "{{clientId}}", "client_secret": "{{clientSecret}}"},
        events=[test(status(400), 'pm.test("unsupported_grant_type", () => pm.expect(pm.response.json().error).to.eql("unsupported_grant_type"));')],
    ),
    request(
        "Token endpoint: client_credentials gives a confidential client a token of its own",
        "POST",
        "/oauth2/token",
        form={"grant_type": "client_credentials", "client_id": "{{clientId}}", "client_secret": "{{clientSecret}}"},
        events=[
            test(
                status(200),
                "const b = pm.response.json();",
                'pm.test("an access token alone", () => { pm.expect(b.token_type).to.eql("Bearer"); pm.expect(b.refresh_token).to.be.undefined; pm.expect(b.id_token).to.be.undefined; });',
                'pm.test("its subject and audience are the client", () => { const c = JSON.parse(atob(b.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); pm.expect(c.sub).to.eql(pm.environment.get("clientId")); pm.expect(c.aud).to.eql(pm.environment.get("clientId")); });',
                save("clientToken", "b.access_token"),
            )
        ],
    ),
    request(
        "Token endpoint: client_credentials with a user scope is invalid_scope",
        "POST",
        "/oauth2/token",
        form={"grant_type": "client_credentials", "scope": "openid", "client_id": "{{clientId}}", "client_secret": "{{clientSecret}}"},
        events=[test(status(400), 'pm.test("invalid_scope", () => pm.expect(pm.response.json().error).to.eql("invalid_scope"));')],
    ),
    request(
        "Introspection: the client's own token is active, with the client as its subject",
        "POST",
        "/oauth2/introspect",
        form={"token": "{{clientToken}}", "client_id": "{{clientId}}", "client_secret": "{{clientSecret}}"},
        events=[test(status(200), "const b = pm.response.json();", 'pm.test("active, about the client", () => { pm.expect(b.active).to.eql(true); pm.expect(b.sub).to.eql(pm.environment.get("clientId")); pm.expect(b.sid).to.be.undefined; });')],
    ),
    request(
        "Revocation: the client revokes its own token",
        "POST",
        "/oauth2/revoke",
        form={"token": "{{clientToken}}", "client_id": "{{clientId}}", "client_secret": "{{clientSecret}}"},
        events=[test(status(200))],
    ),
    request(
        "Clients: the client's own events",
        "GET",
        "/clients/{{clientId}}/events",
        token="adminToken",
        events=[test(status(200), "const items = pm.response.json().items;", 'pm.test("its grant issued and revoked, newest first", () => pm.expect(items.map(e => e.kind)).to.eql(["oidc_token_revoked", "oidc_tokens_issued"]));', 'pm.test("about the client", () => pm.expect(items[0].client_id).to.eql(pm.environment.get("clientId")));')],
    ),
    request(
        "Introspection: the revoked token is inactive",
        "POST",
        "/oauth2/introspect",
        form={"token": "{{clientToken}}", "client_id": "{{clientId}}", "client_secret": "{{clientSecret}}"},
        events=[test(status(200), 'pm.test("active false", () => pm.expect(pm.response.json()).to.eql({active: false}));')],
    ),
    request(
        "Introspection: an unknown token is inactive",
        "POST",
        "/oauth2/introspect",
        form={"token": "junk", "client_id": "{{clientId}}", "client_secret": "{{clientSecret}}"},
        events=[test(status(200), 'pm.test("active false, and nothing else", () => pm.expect(pm.response.json()).to.eql({active: false}));')],
    ),
    request(
        "Revocation: any token answers 200",
        "POST",
        "/oauth2/revoke",
        form={"token": "junk", "token_type_hint": "refresh_token", "client_id": "{{clientId}}", "client_secret": "{{clientSecret}}"},
        events=[test(status(200))],
    ),
    request(
        "Logout: an address the client did not register is a page, never a redirect",
        "GET",
        "/oauth2/logout?client_id={{clientId}}&post_logout_redirect_uri=https%3A%2F%2Fevil.example.com%2F&state=x",
        events=[test(status(400), 'pm.test("no redirect", () => pm.expect(pm.response.headers.get("Location")).to.be.undefined);', 'pm.test("an error page", () => pm.expect(pm.response.text()).to.include("Sign-out refused"));')],
    ),
    request("Clients: delete", "DELETE", "/clients/{{clientId}}", token="adminToken", events=[test(status(204))]),
    request("Clients: the deleted client is gone", "GET", "/clients/{{clientId}}", token="adminToken", events=[test(*problem(404, "client_not_found"))]),
    request(
        "SMS guard: the blocked prefixes (admin)",
        "GET",
        "/fraud/blocks",
        token="adminToken",
        events=[test(status(200), 'pm.test("a list", () => pm.expect(pm.response.json().items).to.be.an("array"));')],
    ),
    request(
        "SMS guard: lifting a prefix that is not blocked is 404",
        "DELETE",
        "/fraud/blocks/%2B2376712",
        token="adminToken",
        events=[test(*problem(404, "block_not_found"))],
    ),
    request(
        "SMS guard: a malformed prefix is named",
        "DELETE",
        "/fraud/blocks/abc",
        token="adminToken",
        events=[test(*problem(400, "invalid_field"), 'pm.test("the prefix", () => pm.expect(pm.response.json().field).to.eql("prefix"));')],
    ),
    request(
        "Verifications: a premium-rate number gets no code",
        "POST",
        "/verifications",
        token="apiKey",
        body={"to": "+19002345678", "channel": "sms"},
        events=[test(*problem(400, "destination_not_allowed"), 'pm.test("says why", () => pm.expect(pm.response.json().detail).to.include("premium-rate"));')],
    ),
    request(
        "Apps: texted codes to some countries only",
        "PATCH",
        "/apps/{{appId}}",
        token="adminToken",
        body={"sms_countries": ["us"]},
        events=[test(status(200), 'pm.test("upper-cased", () => pm.expect(pm.response.json().sms_countries).to.eql(["US"]));')],
    ),
    request(
        "Verifications: a number outside the app's countries gets no code",
        "POST",
        "/verifications",
        token="apiKey",
        body={"to": "+4915112345678", "channel": "sms"},
        events=[test(*problem(400, "destination_not_allowed"), 'pm.test("names the country", () => pm.expect(pm.response.json().detail).to.include("DE numbers"));')],
    ),
    request(
        "Apps: texted codes to every country again",
        "PATCH",
        "/apps/{{appId}}",
        token="adminToken",
        body={"sms_countries": []},
        events=[test(status(200), 'pm.test("no restriction", () => pm.expect(pm.response.json().sms_countries).to.eql([]));')],
    ),
    request(
        "Verifications: send a code by mail",
        "POST",
        "/verifications",
        token="apiKey",
        body={"to": "{{verifyEmail}}", "channel": "email"},
        events=[
            pre('pm.environment.set("verifyEmail", `verify-${Date.now()}@example.com`);'),
            test(
                status(201),
                "const b = pm.response.json();",
                'pm.test("pending, masked", () => { pm.expect(b.status).to.eql("pending"); pm.expect(b.to).to.match(/^v\\*\\*\\*@example\\.com$/); });',
                save("verificationId", "b.id"),
            ),
        ],
    ),
    request(
        "Verifications: send one to cancel, key in X-API-Key",
        "POST",
        "/verifications",
        body={"to": "+14155550199", "channel": "sms"},
        events=[
            pre('pm.request.headers.add({key: "X-API-Key", value: pm.environment.get("apiKey")});'),
            test(status(201), save("canceledId", "pm.response.json().id")),
        ],
    ),
    request("Verifications: cancel", "POST", "/verifications/{{canceledId}}/cancel", token="apiKey", events=[test(status(200), 'pm.test("canceled", () => pm.expect(pm.response.json().status).to.eql("canceled"));')]),
    request("Verifications: a canceled one cannot be canceled again", "POST", "/verifications/{{canceledId}}/cancel", token="apiKey", events=[test(*problem(409, "verification_not_pending"))]),
    request("Verifications: a resend within the cooldown", "POST", "/verifications/{{verificationId}}/resend", token="apiKey", events=[test(*problem(429, "otp_resend_cooldown"))]),
    request("Verifications: a bad key", "GET", "/verifications/{{verificationId}}", token="adminToken", events=[test(*problem(401, "api_key_invalid"))]),
]

# The code mailed for {{verificationId}} is read from the message log and
# passed in as `verifyCode`.
verify_folder = [
    request(
        "Verifications: a wrong code",
        "POST",
        "/verifications/{{verificationId}}/check",
        token="apiKey",
        body={"code": "{{wrongCode}}"},
        events=[
            pre('const c = pm.environment.get("verifyCode");', 'pm.environment.set("wrongCode", c.slice(0, -1) + ((Number(c.slice(-1)) + 1) % 10));'),
            test(*problem(400, "otp_invalid"), 'pm.test("tries left", () => pm.expect(pm.response.json().remaining_attempts).to.eql(2));'),
        ],
    ),
    request("Verifications: the right code", "POST", "/verifications/{{verificationId}}/check", token="apiKey", body={"code": "{{verifyCode}}"}, events=[test(status(200), 'pm.test("approved", () => pm.expect(pm.response.json().status).to.eql("approved"));')]),
    request("Verifications: read it", "GET", "/verifications/{{verificationId}}", token="apiKey", events=[test(status(200), "const b = pm.response.json();", 'pm.test("approved after one wrong try", () => { pm.expect(b.status).to.eql("approved"); pm.expect(b.attempts).to.eql(1); });')]),
    request("Verifications: a second check is refused", "POST", "/verifications/{{verificationId}}/check", token="apiKey", body={"code": "{{verifyCode}}"}, events=[test(*problem(410, "verification_approved"))]),
    request(
        "Admin: log in",
        "POST",
        "/auth/token",
        body={"username": "{{adminUsername}}", "password": "{{adminPassword}}"},
        events=[test(status(200), save("adminToken", "pm.response.json().access_token"))],
    ),
    request("Apps: the verifications are events of the app", "GET", "/apps/{{appId}}/events?limit=100", token="adminToken", events=[test(status(200), 'const kinds = pm.response.json().items.map(e => e.kind);', 'pm.test("recorded", () => pm.expect(kinds).to.include.members(["otp_sent", "otp_failed", "otp_verified", "verification_canceled"]));')]),
    request("Apps: delete", "DELETE", "/apps/{{appId}}", token="adminToken", events=[test(status(204))]),
    request("Apps: the deleted app is gone", "GET", "/apps/{{appId}}", token="adminToken", events=[test(*problem(404, "app_not_found"))]),
    request("Verifications: the deleted app's key stops", "GET", "/verifications/{{verificationId}}", token="apiKey", events=[test(*problem(401, "api_key_invalid"))]),
]

# The web pages, as a browser uses them: newman keeps the cookies and
# follows the 303s; each page's CSRF token is read from its form.
GRAB_CSRF = 'pm.environment.set("uiCsrf", pm.response.text().match(/name="csrf" value="([0-9a-f]{64})"/)[1]);'
pages_folder = [
    request(
        "Pages: the registration form",
        "GET",
        "/ui/register",
        events=[
            pre('pm.environment.set("uiUser", "ui" + Date.now().toString(36));'),
            test(status(200), 'pm.test("the pages\' policy", () => pm.expect(pm.response.headers.get("Content-Security-Policy")).to.include("style-src \'self\'"));', GRAB_CSRF),
        ],
    ),
    request("Pages: a form without its token is refused", "POST", "/ui/register", form={"email": "{{uiUser}}@example.com"}, events=[test(status(403))]),
    request(
        "Pages: register",
        "POST",
        "/ui/register",
        form={"csrf": "{{uiCsrf}}", "email": "{{uiUser}}@example.com", "username": "{{uiUser}}", "name": "Ada", "lastname": "Lovelace", "password": PASSWORD, "confirm": PASSWORD},
        events=[test(status(200), 'pm.test("to the login page", () => pm.expect(pm.response.text()).to.include("Your account is ready"));', GRAB_CSRF)],
    ),
    request(
        "Pages: log in",
        "POST",
        "/ui/login",
        form={"csrf": "{{uiCsrf}}", "username": "{{uiUser}}", "password": PASSWORD},
        events=[test(status(200), 'pm.test("the account page", () => pm.expect(pm.response.text()).to.include("Your account").and.include(pm.environment.get("uiUser")));', GRAB_CSRF)],
    ),
    request(
        "Pages: log out everywhere",
        "POST",
        "/ui/logout",
        form={"csrf": "{{uiCsrf}}", "scope": "everywhere"},
        events=[test(status(200), 'pm.test("logged out", () => pm.expect(pm.response.text()).to.include("logged out on every device"));')],
    ),
    request("Pages: the account needs a session again", "GET", "/ui/account", events=[test(status(200), 'pm.test("the login page", () => pm.expect(pm.response.text()).to.include("action=\\"/ui/login\\""));')]),
]

collection = {
    "info": {
        "name": "authd",
        "description": "Every authd route. Run folder \"1 Login\", put the login code mailed to {{email}} into the `otp` variable, the token of the link in the mail proving {{email}} into `emailToken` and the code sent to {{phone}} into `phoneCode`, then run \"2 Session\"; put the token of the link in the reset mail to {{email}} into `resetToken` and run \"2b Password reset\", then \"3 Applications\"; put the code mailed to {{verifyEmail}} into `verifyCode` and run \"4 Verifications\"; \"5 Web pages\" runs alone. "
        "`adminUsername`/`adminPassword` name an administrator (see README: create-admin).",
        "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
    },
    "item": [
        {"name": "1 Login", "item": login_folder},
        {"name": "2 Session", "item": session_folder},
        {"name": "2b Password reset", "item": reset_folder},
        {"name": "3 Applications", "item": apps_folder},
        {"name": "4 Verifications", "item": verify_folder},
        {"name": "5 Web pages", "item": pages_folder},
    ],
}
environment = {
    "name": "authd (local)",
    "values": [
        {"key": "baseUrl", "value": "http://127.0.0.1:8000", "enabled": True},
        {"key": "password", "value": "correct-horse-battery-staple", "enabled": True},
        {"key": "adminUsername", "value": "admin", "enabled": True},
        {"key": "adminPassword", "value": "", "enabled": True},
        {"key": "otp", "value": "", "enabled": True},
        {"key": "emailToken", "value": "", "enabled": True},
        {"key": "resetToken", "value": "", "enabled": True},
        {"key": "totpSecret", "value": "", "enabled": True},
        {"key": "totpCode", "value": "", "enabled": True},
        {"key": "recoveryCode", "value": "", "enabled": True},
    ],
}
(HERE / "authd.postman_collection.json").write_text(json.dumps(collection, indent=2) + "\n")
(HERE / "authd.postman_environment.json").write_text(json.dumps(environment, indent=2) + "\n")
