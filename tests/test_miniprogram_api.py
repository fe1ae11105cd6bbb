"""The mini-program's API against a running gateway with park nodes; code2Session goes to the fake WeChat API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from alliance.core.attestation import open_bundle, verify_bundle
from alliance.core.keys import PublicKey
from alliance.services.auth import PARK_OPERATOR, Principal
from bot.accounts import accounts
from tests.bot_fixtures import HUAWEI, TENCENT, Gateway, bot_world
from tests.fake_wechat import FakeWeChat

MP = "/wechat/miniprogram"
OPERATOR = Principal("op@whdh", PARK_OPERATOR, park_id="whdh")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[tuple[Gateway, FakeWeChat, httpx.Client]]:
    with bot_world(tmp_path_factory.mktemp("miniprogram")) as (gateway, _parks, fake):
        with httpx.Client(base_url=gateway.url, timeout=10) as client:
            yield gateway, fake, client


def login(fake: FakeWeChat, client: httpx.Client, openid: str, code: str) -> dict:
    fake.codes[code] = openid
    response = client.post(f"{MP}/login", json={"code": code})
    assert response.status_code == 200, response.text
    return response.json()


def test_login_calls_code2session_and_never_returns_the_session_key(world):
    _, fake, client = world
    body = login(fake, client, "wxa-open-1", "CODE-1")
    calls = fake.sent("/sns/jscode2session")
    assert calls[-1].params["js_code"] == "CODE-1" and calls[-1].params["grant_type"] == "authorization_code"
    assert set(body) == {"session", "expiresIn", "enterprises", "token", "uscc"}
    assert body["enterprises"] == [] and body["token"] is None
    assert "SESSIONKEY" not in str(body) and "wxa-open-1" not in str(body)
    # A code works once: WeChat refuses it the second time, and so does the login.
    again = client.post(f"{MP}/login", json={"code": "CODE-1"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "INVALID_CODE"
    assert "登录凭证无效" in again.json()["error"]["message"]
    assert client.post(f"{MP}/login", json={}).status_code == 400


def test_bind_then_full_report_and_login_carries_the_token(world):
    gateway, fake, client = world
    session = login(fake, client, "wxa-open-2", "CODE-2")["session"]
    issued = gateway.call(lambda s: accounts(s).issue_binding_code(OPERATOR, HUAWEI))
    assert client.post(f"{MP}/bind", json={"code": issued.code}).status_code == 401  # no session
    wrong = client.post(f"{MP}/bind", json={"code": "ZZZZ-ZZZZ"}, headers={"x-session": session})
    assert wrong.status_code == 400 and wrong.json()["error"]["message"] == "绑定码无效、已使用或已过期"
    bound = client.post(f"{MP}/bind", json={"code": issued.code}, headers={"x-session": session})
    assert bound.status_code == 200 and bound.json()["uscc"] == HUAWEI
    token = bound.json()["token"]
    principal = gateway.services.tokens.authenticate(token)
    assert principal.role == "enterprise" and principal.uscc == HUAWEI

    full = client.get(f"{MP}/report", params={"uscc": HUAWEI}, headers={"authorization": f"Bearer {token}"}).json()
    assert full["fullView"] is True and full["ratings"][0]["score"] == 85.5
    public = client.get(f"{MP}/report", params={"uscc": HUAWEI}).json()
    assert public["fullView"] is False and public["ratings"][0]["score"] is None
    rating = public["ratings"][0]
    assert rating["grade"] == "AA" and rating["gradeLabel"] == "信用良好" and rating["park"]["name"] == "武汉东湖高新区"
    assert rating["valid"] is True and rating["validTo"] > rating["validFrom"]
    assert public["recognisedCount"] == 3 and public["parkCount"] == 4
    assert "联盟互认：3/4" in public["summary"]

    relogin = login(fake, client, "wxa-open-2", "CODE-3")
    assert [e["uscc"] for e in relogin["enterprises"]] == [HUAWEI] and relogin["uscc"] == HUAWEI

    subscribed = client.post(f"{MP}/subscribe", json={"on": True}, headers={"x-session": relogin["session"]})
    assert subscribed.json() == {"usccs": [HUAWEI], "on": True}
    subscribers = gateway.call(lambda s: accounts(s).subscribers(HUAWEI))
    assert [(b.openid, b.channel) for b in subscribers] == [("wxa-open-2", "wxa")]


def test_qr_bundle_verifies_offline_with_the_alliance_key_alone(world):
    gateway, fake, client = world
    assert client.get(f"{MP}/qrcode", params={"uscc": HUAWEI}).status_code == 401
    issued = gateway.call(lambda s: accounts(s).issue_binding_code(OPERATOR, HUAWEI))
    session = login(fake, client, "wxa-open-3", "CODE-4")["session"]
    token = client.post(f"{MP}/bind", json={"code": issued.code}, headers={"x-session": session}).json()["token"]
    # Another enterprise's QR code is not this token's to show.
    other = client.get(f"{MP}/qrcode", params={"uscc": TENCENT}, headers={"authorization": f"Bearer {token}"})
    assert other.status_code == 404
    answer = client.get(f"{MP}/qrcode", params={"uscc": HUAWEI}, headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    qr = answer.json()
    assert qr["grade"] == "AA" and qr["park"]["id"] == "whdh" and qr["statusListIncluded"] is True
    bundle = qr["bundle"]
    assert bundle.startswith("acb1.") and len(bundle) <= 2331  # fits a QR code at error-correction level M
    _attestation, _statement, status_list = open_bundle(bundle)
    assert status_list is not None
    keys = httpx.get(f"{gateway.url}/.well-known/jwks.json").json()["keys"]
    verdict = verify_bundle(bundle, {k["kid"]: PublicKey.from_jwk(k) for k in keys})
    assert verdict, verdict.reason
    assert verdict.claims["sub"] == HUAWEI and verdict.claims["grade"] == "AA"
    forged = client.get(f"{MP}/qrcode", params={"uscc": HUAWEI}, headers={"authorization": "Bearer x.y.z"})
    assert forged.status_code == 401 and forged.json()["error"]["message"] == "登录已失效，请重新登录"


def test_search_recognition_and_ask(world):
    _, _, client = world
    hits = client.get(f"{MP}/search", params={"q": "有限公司"}).json()["hits"]
    assert {h["uscc"] for h in hits} >= {HUAWEI, TENCENT}
    assert all(h["parks"] for h in hits)
    bad = client.get(f"{MP}/search", params={"q": "914403001922038217"})
    assert bad.status_code == 400 and "校验位应为 6" in bad.json()["error"]["message"]
    short = client.get(f"{MP}/search", params={"q": "华"})
    assert short.status_code == 400

    recognition = client.get(f"{MP}/recognition", params={"uscc": HUAWEI}).json()
    assert recognition["recognisedCount"] == 3
    refused = [r for r in recognition["recognition"] if not r["recognised"]]
    assert [(r["park"]["name"], r["reasonText"]) for r in refused] == [("成都高新区", "未采用标准 ACS 2025.1")]

    reply = client.post(f"{MP}/ask", json={"text": "标准"}).json()["reply"]
    assert "ACS 2025.1" in reply
    assert client.post(f"{MP}/ask", content=b"{not json").status_code == 400
    assert client.post(f"{MP}/ask", content=b"x" * 20_000).status_code == 400
