"""A resource server that trusts authd's tokens offline, as README.md's
"Token signing" section tells one to: PyJWT with the published JWKS, its
default checks given the issuer and audience, and the header type.

Gets one token of each kind from a running authd (AUTHD_JWT_ALG=EdDSA) and
fails unless the access token passes and the refresh token, the temporary
token of a login waiting for its second factor and the pages' session
cookie are refused, each by the audience check.

    python3 .ci/resource_server.py http://127.0.0.1:8000
"""
import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request
import uuid

import jwt

base = sys.argv[1].rstrip("/")
api = base + "/api/v1"
password = "tangerine-oboe-quarry-41"


def call(path, body=None, form=None, opener=None):
    data, headers = None, {}
    if body is not None:
        data, headers = json.dumps(body).encode(), {"content-type": "application/json"}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers = {"content-type": "application/x-www-form-urlencoded"}
    req = urllib.request.Request(path, data=data, headers=headers)
    with (opener or urllib.request.build_opener()).open(req) as resp:
        text = resp.read().decode()
        return json.loads(text) if text and resp.headers.get_content_type().endswith("json") else text


def register(is_2fa):
    name = "rs" + uuid.uuid4().hex[:10]
    call(api + "/users/registration", {"email": f"{name}@example.com", "username": name, "name": "R",
                                       "lastname": "S", "password": password, "is_2fa": is_2fa})
    return name


plain, with_code = register(False), register(True)
pair = call(api + "/auth/token", {"username": plain, "password": password})
temporary = call(api + "/auth/token", {"username": with_code, "password": password})["temporary_token"]

# The pages' login, as a browser does it: the form's token, then the post.
jar = http.cookiejar.CookieJar()
browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
page = call(base + "/ui/login", opener=browser)
csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
call(base + "/ui/login", form={"csrf": csrf, "username": plain, "password": password}, opener=browser)
cookie = next(c.value for c in jar if c.name.endswith("authd_session"))

# README.md, "Token signing": what a resource server checks.
keys = jwt.PyJWKClient(base + "/.well-known/jwks.json")


def accepts(token):
    claims = jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["EdDSA"],
                        audience="authd", issuer="authd")
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    return claims


kinds = {"access": pair["access_token"], "refresh": pair["refresh_token"],
         "temporary": temporary, "browser": cookie}
failed = False
for kind, token in kinds.items():
    try:
        claims = accepts(token)
        outcome = f"accepted (sub {claims['sub']})"
        ok = kind == "access"
    except jwt.InvalidAudienceError as e:
        outcome = f"refused: {e}"
        ok = kind != "access"
    except Exception as e:  # any other refusal is not the audience check doing its job
        outcome = f"refused by something else: {type(e).__name__}: {e}"
        ok = False
    print(f"PyJWT {jwt.__version__}, {kind} token: {outcome}{'' if ok else '  <-- WRONG'}")
    failed |= not ok
sys.exit(1 if failed else 0)
