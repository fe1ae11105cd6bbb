"""The official-account bot driven as WeChat drives it: signed (and in safe mode encrypted) pushes built with
wechatpy's own WeChatCrypto, against a running gateway with park nodes, and a fake WeChat API on loopback that
receives the customer-service and subscribe messages."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
import xmltodict

from alliance.services.auth import PARK_OPERATOR, Principal
from alliance.web.server import serving
from bot.accounts import accounts
from bot.runtime import runtime
from bot.web import routes
from bot.wechat import new_credentials, sign
from tests.bot_fixtures import BAIDU, HUAWEI, Gateway, WeChatSender, bot_world, make_code, wechat_settings
from tests.fake_wechat import FakeWeChat

CS = "/cgi-bin/message/custom/send"
BIZSEND = "/cgi-bin/message/subscribe/bizsend"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[tuple[Gateway, list, FakeWeChat, WeChatSender]]:
    # A park's deadline longer than the reply deadline: a hanging park makes the answer late, not just partial.
    with bot_world(tmp_path_factory.mktemp("wechat"), park_deadline=5.0, query_budget=5.5) as (gateway, parks, fake):
        yield gateway, parks, fake, WeChatSender(gateway.url, gateway.settings)


def msg_id() -> int:
    return secrets.randbits(62)


def park(parks: list, park_id: str):
    return next(p for p in parks if p.id == park_id)


# Server verification -------------------------------------------------------------------------------------
def test_signature_matches_the_published_vectors(protocol_vectors):
    for case in protocol_vectors["wechat_signature"]["cases"]:
        assert sign(case["token"], case["timestamp"], case["nonce"]) == case["signature"]


def test_new_credentials_work_with_wechatpy():
    from wechatpy.crypto import WeChatCrypto

    creds = new_credentials()
    assert len(creds["wechat_token"]) == 32 and len(creds["wechat_aes_key"]) == 43
    crypto = WeChatCrypto(creds["wechat_token"], creds["wechat_aes_key"], "wx0123456789abcdef")
    envelope = crypto.encrypt_message("<xml><Content>你好</Content></xml>", "nonce", "1714037059")
    doc = xmltodict.parse(envelope)["xml"]
    assert "你好" in crypto.decrypt_message(envelope, doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"])


def test_get_echoes_echostr_only_with_the_right_signature(world):
    gateway, _, _, _ = world
    token = gateway.settings.wechat_token
    params = {"timestamp": "1714036504", "nonce": "1514711492", "echostr": "4375120948345356249"}
    good = httpx.get(f"{gateway.url}/wechat", params={**params, "signature": sign(token, "1714036504", "1514711492")})
    assert good.status_code == 200 and good.text == "4375120948345356249"
    bad = httpx.get(f"{gateway.url}/wechat", params={**params, "signature": sign("other", "1714036504", "1514711492")})
    assert bad.status_code == 403 and "4375120948345356249" not in bad.text


# Conversations ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe-mode"])
def test_query_by_uscc_is_answered_in_chinese(world, safe):
    _, _, _, sender = world
    response = sender.post(sender.text_xml("o-query", f"查询 {HUAWEI}", msg_id()), safe=safe)
    assert response.status_code == 200
    if safe:  # the reply itself is encrypted and signed for WeChat: no plaintext on the wire
        envelope = xmltodict.parse(response.text)["xml"]
        assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
        assert envelope["MsgSignature"] == sign(sender.settings.wechat_token, envelope["TimeStamp"],
                                                envelope["Nonce"], envelope["Encrypt"])
        assert "华为" not in response.text
    text = sender.reply_text(response, safe=safe)
    assert text.startswith("【华为技术有限公司】")
    for fact in ("信用等级：AA（信用良好）", "评级园区：武汉东湖高新区", "有效期：", "联盟互认：3/4 个成员园区认可",
                 "成都高新区：未采用标准 ACS 2025.1", "守信激励："):
        assert fact in text
    assert len(text.encode()) <= 2047


def test_reply_is_addressed_back_to_the_sender(world):
    _, _, _, sender = world
    response = sender.post(sender.text_xml("o-addr", "帮助", msg_id()), safe=False)
    reply = xmltodict.parse(response.text)["xml"]
    assert reply["ToUserName"] == "o-addr" and reply["FromUserName"] == sender.account
    assert reply["MsgType"] == "text" and "使用帮助" in reply["Content"]
    assert abs(int(reply["CreateTime"]) - time.time()) < 60


def test_name_search_offers_a_numbered_list_then_the_choice(world):
    _, _, _, sender = world
    listed = sender.reply_text(sender.post(sender.text_xml("o-name", "查询 股份有限公司", msg_id())))
    assert "请回复序号" in listed and "1. " in listed and "2. " in listed
    number = next(line.split(".")[0] for line in listed.splitlines() if "中航重机" in line)
    chosen = sender.reply_text(sender.post(sender.text_xml("o-name", number, msg_id())))
    assert chosen.startswith("【中航重机股份有限公司】") and "信用等级：C" in chosen
    # 互认 then explains the enterprise just shown: C is below the minimum grade for recognition.
    detail = sender.reply_text(sender.post(sender.text_xml("o-name", "互认", msg_id())))
    assert "联盟互认详情：1/4" in detail and "低于互认最低等级 A" in detail


def test_black_listing_is_shown_and_refuses_recognition(world):
    _, parks, _, sender = world
    park(parks, "sh-zj").list_enterprise(BAIDU, "black", "拒不履行法院判决")
    try:
        text = sender.reply_text(sender.post(sender.text_xml("o-black", f"查询 {BAIDU}", msg_id())))
    finally:
        park(parks, "sh-zj").listings.clear()
    assert "黑名单（上海张江高新区" in text and "拒不履行法院判决" in text
    assert "联盟互认：0/4" in text and "失信惩戒：" in text


def test_subscribe_event_gets_a_welcome_and_other_types_get_help(world):
    _, _, _, sender = world
    welcome = sender.reply_text(sender.post(sender.event_xml("o-new", "subscribe")))
    assert welcome.startswith("欢迎关注园区信用联盟") and "查询" in welcome
    image = (f"<xml><ToUserName><![CDATA[{sender.account}]]></ToUserName><FromUserName><![CDATA[o-img]]>"
             f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
             f"<PicUrl><![CDATA[http://127.0.0.1/x.jpg]]></PicUrl><MediaId><![CDATA[m]]></MediaId>"
             f"<MsgId>{msg_id()}</MsgId></xml>")
    assert "暂不支持此类消息" in sender.reply_text(sender.post(image))
    weird = image.replace("<![CDATA[image]]>", "<![CDATA[hologram]]>")
    assert "使用帮助" in sender.reply_text(sender.post(weird.replace("<MsgId>", "<MsgId>1")))
    assert "没有理解" in sender.reply_text(sender.post(sender.text_xml("o-img", "你好", msg_id())))


# Refusals -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("safe,forge", [(False, "signature"), (True, "signature"), (True, "msg_signature")])
def test_forged_signatures_get_403_and_nothing_is_processed(world, safe, forge):
    _, _, fake, sender = world
    mid = msg_id()
    xml = sender.text_xml("o-forge", f"查询 {HUAWEI}", mid)
    forged = sender.post(xml, safe=safe, forge=forge)
    assert forged.status_code == 403 and "华为" not in forged.text
    # The forged push claimed nothing: the genuine one with the same MsgId is answered in full.
    genuine = sender.post(xml, safe=safe)
    assert sender.reply_text(genuine, safe=safe).startswith("【华为技术有限公司】")
    assert not fake.sent(CS)


def test_safe_mode_requires_msg_signature_and_the_right_account(world):
    gateway, _, _, sender = world
    xml = sender.text_xml("o-safe", "帮助", msg_id())
    params, body = sender.request(xml, safe=True)
    del params["msg_signature"]
    assert httpx.post(f"{gateway.url}/wechat", params=params, content=body).status_code == 403
    # WeChat may omit `signature` in safe mode; msg_signature alone is enough.
    params, body = sender.request(xml, safe=True)
    del params["signature"]
    assert "使用帮助" in sender.reply_text(httpx.post(f"{gateway.url}/wechat", params=params, content=body))
    # Encrypted for another AppID (with our token and key): refused, not answered.
    other = WeChatSender(gateway.url, replace(gateway.settings, wechat_appid="wx0000000000000000"))
    params, body = other.request(sender.text_xml("o-safe", "帮助", msg_id()), safe=True)
    assert httpx.post(f"{gateway.url}/wechat", params=params, content=body).status_code == 403


BOMB = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<xml><ToUserName>x</ToUserName><FromUserName>o-bomb</FromUserName><CreateTime>1</CreateTime>'
        '<MsgType>text</MsgType><Content>&b;</Content><MsgId>1</MsgId></xml>')


@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe-mode"])
def test_malformed_oversized_and_entity_xml_get_400(world, safe):
    gateway, _, _, sender = world
    for bad in ("<xml><MsgType>text</MsgType>", "not xml at all", BOMB,
                '<!DOCTYPE x SYSTEM "file:///etc/passwd"><xml><MsgType>text</MsgType></xml>',
                "<xml><Content>no type</Content></xml>"):
        response = sender.post(bad, safe=safe)
        assert response.status_code == 400, (bad, response.text)
    big = sender.text_xml("o-big", "查" * 40_000, msg_id())
    assert sender.post(big, safe=safe).status_code == 400
    # The size cap holds whatever Content-Length claims.
    params, body = sender.request(sender.text_xml("o-big", "帮助", msg_id()), safe=safe)
    chunks = (body[i:i + 1000] for i in range(0, 70_000, 1000))
    assert httpx.post(f"{gateway.url}/wechat", params=params, content=(c or b" " * 1000 for c in chunks)
                      ).status_code == 400


# The 5-second rule and retries ----------------------------------------------------------------------------
def test_retries_of_a_msgid_are_processed_once(world):
    _, parks, _, sender = world
    code = make_code(1001)  # never asked before: every park is asked once per processing
    xml = sender.text_xml("o-retry", f"查询 {code}", msg_id())
    before = {p.id: p.requests for p in parks}
    first = sender.post(xml)
    retries = [sender.post(xml) for _ in range(2)]
    assert "暂无该企业的信用评级" in sender.reply_text(first)
    # A retry gets the answer already given (WeChat shows one reply), byte for byte: nothing was run again.
    assert all(r.content == first.content for r in retries)
    assert all(p.requests - before[p.id] == 1 for p in parks)


def test_hanging_park_still_gets_a_reply_in_time_and_the_answer_later(world):
    _, parks, fake, sender = world
    hanging = park(parks, "cs-gx")
    code = make_code(1002)
    xml = sender.text_xml("o-late", f"查询 {code}", msg_id())
    hanging.hanging = True
    try:
        results: list[tuple[float, httpx.Response]] = []

        def deliver() -> None:
            started = time.monotonic()
            response = sender.post(xml)
            results.append((time.monotonic() - started, response))

        # WeChat's first delivery, and a retry arriving while the first is still being worked on.
        first = threading.Thread(target=deliver)
        first.start()
        time.sleep(0.5)
        deliver()
        first.join()
        for elapsed, response in results:
            assert response.status_code == 200 and response.text == "success"
            assert elapsed < 4.5
        sent = fake.wait_for(CS, 1, timeout=8.0)
    finally:
        hanging.hanging = False
    assert len(sent) == 1
    body = sent[0].body
    assert body["touser"] == "o-late" and body["msgtype"] == "text"
    assert code in body["text"]["content"] and "长沙高新区（超时未应答）" in body["text"]["content"]
    assert len(body["text"]["content"].encode()) <= 2047
    assert sent[0].params["access_token"] in fake.tokens  # through wechatpy's token flow, at the configured base
    time.sleep(0.3)
    assert len(fake.sent(CS)) == 1


def test_replicas_share_deduplication_through_redis(tmp_path, redis_url):
    with bot_world(tmp_path, redis_url=redis_url) as (one, _parks, _fake):
        two = Gateway(one.settings).start()  # a second replica: same database, same Redis
        try:
            sender_one, sender_two = WeChatSender(one.url, one.settings), WeChatSender(two.url, two.settings)
            xml = sender_one.text_xml("o-replica", f"查询 {HUAWEI}", msg_id())
            answered = sender_one.post(xml)
            again = sender_two.post(xml)
            assert sender_one.reply_text(answered).startswith("【华为技术有限公司】")
            assert again.content == answered.content  # replica two ran nothing: it returned the kept reply
            event = sender_two.event_xml("o-replica", "subscribe", create_time=int(time.time()) - 3)
            welcomed = sender_two.post(event)
            assert sender_one.post(event).content == welcomed.content
        finally:
            two.stop()


# Notifications ----------------------------------------------------------------------------------------------
def test_bound_subscribers_are_notified_of_changes(world):
    gateway, parks, fake, sender = world
    operator = Principal("op@whdh", PARK_OPERATOR, park_id="whdh")
    issued = gateway.call(lambda s: accounts(s).issue_binding_code(operator, HUAWEI))
    bound = sender.reply_text(sender.post(sender.text_xml("o-staff", f"绑定 {issued.code}", msg_id())))
    assert "绑定成功" in bound and HUAWEI in bound
    assert "评分：85.5" in sender.reply_text(sender.post(sender.text_xml("o-staff", f"查询 {HUAWEI}", msg_id())))
    assert HUAWEI in sender.reply_text(sender.post(sender.text_xml("o-staff", "订阅", msg_id())))

    notifier = runtime(gateway.services).notifier
    assert gateway.call(lambda s: notifier.run_once()) == 0  # the first look only sets the baseline
    whdh = park(parks, "whdh")
    whdh.set_grade(HUAWEI, "A", 75.0)
    try:
        assert gateway.call(lambda s: notifier.run_once()) == 1
        assert gateway.call(lambda s: notifier.run_once()) == 0  # told once
    finally:
        whdh.set_grade(HUAWEI, "AA", 85.5)
    sent = fake.wait_for(BIZSEND, 1)
    assert len(sent) == 1
    body = sent[0].body
    assert body["touser"] == "o-staff" and body["template_id"] == "alliance-credit-change"
    assert body["data"]["thing1"]["value"] == "华为技术有限公司"
    assert body["data"]["thing2"]["value"].startswith("等级AA→A")
    assert body["page"] == f"pages/report/report?uscc={HUAWEI}"
    assert sent[0].params["access_token"] in fake.tokens

    # Unfollowing the account stops the notifications.
    assert sender.post(sender.event_xml("o-staff", "unsubscribe")).text == "success"
    assert gateway.call(lambda s: accounts(s).subscribers(HUAWEI)) == []



# Real park nodes -------------------------------------------------------------------------------------------
def test_real_park_nodes_and_faulty_parks(tmp_path):
    """The bot over tests/federation_fixtures.py's alliance: five real park nodes, and parks that are down, hang,
    answer garbage or sign with a key the alliance does not know."""
    from tests.federation_fixtures import small_alliance

    fake = FakeWeChat(appid="", secret="")
    with serving(fake.app()) as wechat_server:
        creds = wechat_settings(tmp_path / "creds", wechat_server.url)
        fake.appid, fake.secret = creds.wechat_appid, creds.wechat_secret
        names = ("wechat_token", "wechat_appid", "wechat_secret", "wechat_aes_key", "wechat_api_base")
        with small_alliance(tmp_path, **{n: getattr(creds, n) for n in names}) as net:
            app = net.gateway.app
            app.router.routes.extend(routes(lambda: app.state.services))
            sender = WeChatSender(net.gateway.url, creds)
            shared = net.records["wuhan-east-lake"][4].uscc  # rated by three of the real parks
            xml = sender.text_xml("o-real", f"查询 {shared}", msg_id())
            started = time.monotonic()
            first = sender.post(xml)
            assert time.monotonic() - started < 4.5
            text = sender.reply_text(first)
            assert text.startswith("【测试企业") and "信用等级：AAA（信用优秀）" in text
            assert "评级园区：武汉东湖新技术开发区" in text
            assert "超时园区（超时未应答）" in text and "停机园区（应答出错）" in text
            assert "⚠ 该评级" in text  # the wrong-key park's rating is shown as unusable
            assert sender.post(xml).content == first.content  # WeChat's retry: answered once
            detail = sender.reply_text(sender.post(sender.text_xml("o-real", "互认", msg_id())))
            assert "✅ 上海张江高科技园区" in detail


# The deadline itself ------------------------------------------------------------------------------------------
async def test_deferred_answers_in_time_or_hands_over():
    import asyncio

    from bot.deferred import Deferred

    deferred = Deferred(deadline=0.4, margin=0.1)
    delivered: list[str] = []

    async def late(text: str) -> None:
        delivered.append(text)

    async def quick() -> str:
        return "now"

    async def slow() -> str:
        await asyncio.sleep(0.5)
        return "later"

    assert await deferred.answer(time.monotonic(), quick, late) == "now"
    started = time.monotonic()
    assert await deferred.answer(started, slow, late) is None
    assert time.monotonic() - started < 0.4
    await deferred.drain(timeout=2)
    assert delivered == ["later"]
    # A lagging event loop shortens the wait, so that the reply still leaves in time.
    deferred.probe._lags = [0.1]
    assert deferred.wait_budget(time.monotonic()) <= 0.4 - 0.1 - 0.2 + 0.01
