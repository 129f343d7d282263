"""The sandbox server speaks the GoCardless API shapes (raw HTTP, 127.0.0.1)."""

import itertools
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import requests

from account_online_synchronization.sandbox import (
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    INSTITUTIONS,
    start_sandbox,
)
from account_online_synchronization.sandbox.data import account_iban, iban_check

TODAY = date(2025, 6, 30)
ROOT = Path(__file__).resolve().parent.parent
_refs = itertools.count(1)
IBAN_LENGTHS = {"BE": 16, "NL": 18, "DE": 22, "FR": 27, "ES": 24, "IT": 27,
                "GB": 22, "AT": 20}


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(today=TODAY, account_daily_limit=None) as server:
        yield server


@pytest.fixture(scope="module")
def api(sandbox):
    http = requests.Session()
    tokens = http.post(f"{sandbox.url}/api/v2/token/new/", json={
        "secret_id": DEMO_SECRET_ID, "secret_key": DEMO_SECRET_KEY}, timeout=5)
    assert tokens.status_code == 200
    http.headers["Authorization"] = f"Bearer {tokens.json()['access']}"
    http.base = sandbox.url
    yield http
    http.close()


def control(sandbox, name, **body):
    response = requests.post(f"{sandbox.url}/_sandbox/{name}", json=body, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def linked_account(api, bank="SANDBOXFINANCE_SFIN0000", reference=None):
    req = api.post(f"{api.base}/api/v2/requisitions/", json={
        "redirect": "https://odoo.example/cb", "institution_id": bank,
        "reference": reference or f"r-{bank}-{next(_refs)}"}, timeout=5).json()
    requests.get(req["link"], timeout=5)
    requests.post(req["link"], data={"action": "authorise"}, allow_redirects=False,
                  timeout=5)
    req = api.get(f"{api.base}/api/v2/requisitions/{req['id']}/", timeout=5).json()
    assert req["status"] == "LN"
    return req["accounts"][0]


def test_token_endpoints_and_401_shapes(sandbox):
    bad = requests.post(f"{sandbox.url}/api/v2/token/new/",
                        json={"secret_id": "x", "secret_key": "y"}, timeout=5)
    assert bad.status_code == 401
    assert bad.json() == {"summary": "Authentication failed",
                          "detail": "No active account found with the given "
                                    "credentials", "status_code": 401}
    good = requests.post(f"{sandbox.url}/api/v2/token/new/", json={
        "secret_id": DEMO_SECRET_ID, "secret_key": DEMO_SECRET_KEY}, timeout=5).json()
    assert set(good) == {"access", "access_expires", "refresh", "refresh_expires"}
    assert good["access_expires"] == 86400
    refreshed = requests.post(f"{sandbox.url}/api/v2/token/refresh/",
                              json={"refresh": good["refresh"]}, timeout=5).json()
    assert set(refreshed) == {"access", "access_expires"}
    anonymous = requests.get(f"{sandbox.url}/api/v2/institutions/", timeout=5)
    assert anonymous.status_code == 401 and "summary" in anonymous.json()
    wrong = requests.get(f"{sandbox.url}/api/v2/institutions/", timeout=5,
                         headers={"Authorization": "Bearer nope"})
    assert wrong.json()["summary"] == "Invalid token"


def test_institutions_shape_and_country_filter(api):
    banks = api.get(f"{api.base}/api/v2/institutions/", params={"country": "gb"},
                    timeout=5).json()
    assert {b["id"] for b in banks} == {"SANDBOXFINANCE_SFIN0000",
                                        "SBX_MFABANK_MFABGB2L"}
    for bank in banks:
        assert {"id", "name", "bic", "transaction_total_days", "countries",
                "logo", "max_access_valid_for_days"} <= set(bank)
        assert isinstance(bank["transaction_total_days"], str)
        assert not any(key.startswith("_") for key in bank)
    missing = api.get(f"{api.base}/api/v2/institutions/NOPE/", timeout=5)
    assert missing.status_code == 404


def test_every_account_iban_is_valid():
    assert iban_check("GB", "WEST12345698765432") == "GB82WEST12345698765432"
    for bank in INSTITUTIONS:
        for index in range(len(bank["_accounts"])):
            iban = account_iban(bank["id"], index)
            assert len(iban) == IBAN_LENGTHS[iban[:2]], iban
            digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
            assert int(digits) % 97 == 1, iban
            assert iban == account_iban(bank["id"], index)


def test_agreement_and_requisition_validation(api):
    too_long = api.post(f"{api.base}/api/v2/agreements/enduser/", json={
        "institution_id": "SBX_BANCABREVE_BBITITMM", "max_historical_days": 91,
        "access_valid_for_days": 30}, timeout=5)
    assert too_long.status_code == 400
    assert too_long.json()["max_historical_days"]["summary"] == (
        "Incorrect max_historical_days")
    body = {"redirect": "https://odoo.example/cb",
            "institution_id": "SANDBOXFINANCE_SFIN0000", "reference": "dup-1"}
    assert api.post(f"{api.base}/api/v2/requisitions/", json=body,
                    timeout=5).status_code == 201
    dup = api.post(f"{api.base}/api/v2/requisitions/", json=body, timeout=5)
    assert dup.status_code == 400 and "reference" in dup.json()
    bad = api.post(f"{api.base}/api/v2/requisitions/",
                   json={**body, "reference": "x", "redirect": "ftp://x"}, timeout=5)
    assert bad.status_code == 400 and "redirect" in bad.json()


def test_consent_page_redirect_keeps_existing_query(api):
    req = api.post(f"{api.base}/api/v2/requisitions/", json={
        "redirect": "https://odoo.example/cb?db=demo", "reference": "page-1",
        "institution_id": "SBX_HAUSBANK_HBDEDEFF"}, timeout=5).json()
    assert req["status"] == "CR" and req["link"].startswith(api.base)
    page = requests.get(req["link"], timeout=5)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Hausbank" in page.text and page.text.count('name="account"') == 2
    status = api.get(f"{api.base}/api/v2/requisitions/{req['id']}/", timeout=5)
    assert status.json()["status"] == "GC"
    done = requests.post(req["link"], data={"action": "authorise", "account": "1"},
                         allow_redirects=False, timeout=5)
    assert done.status_code == 302
    assert done.headers["Location"] == "https://odoo.example/cb?db=demo&ref=page-1"
    linked = api.get(f"{api.base}/api/v2/requisitions/{req['id']}/", timeout=5).json()
    assert linked["status"] == "LN" and len(linked["accounts"]) == 1
    details = api.get(f"{api.base}/api/v2/accounts/{linked['accounts'][0]}/details/",
                      timeout=5).json()["account"]
    assert details["currency"] == "USD" and details["iban"].startswith("DE")


def test_transactions_are_deterministic_and_streamed(api):
    account = linked_account(api)
    url = f"{api.base}/api/v2/accounts/{account}/transactions/"
    params = {"date_from": "2025-06-01", "date_to": "2025-06-30"}
    first = api.get(url, params=params, timeout=5)
    assert first.headers.get("Transfer-Encoding") == "chunked"
    body = first.json()
    assert set(body) == {"transactions", "last_updated"}
    booked = body["transactions"]["booked"]
    assert booked and isinstance(body["transactions"]["pending"], list)
    assert all(t["bookingDate"] <= "2025-06-30" for t in booked)
    assert all("bookingDate" not in t for t in body["transactions"]["pending"])
    amounts = [t["transactionAmount"]["amount"] for t in booked]
    assert all(a.count(".") == 1 and len(a.split(".")[1]) == 2 for a in amounts)
    assert api.get(url, params=params, timeout=5).json()["transactions"] == (
        body["transactions"])
    bad = api.get(url, params={"date_from": "2025-02-31"}, timeout=5)
    assert bad.status_code == 400 and "date_from" in bad.json()


def test_volume_control_serves_exact_counts(sandbox, api):
    account = linked_account(api)
    result = control(sandbox, "volume", account=account, per_day=50,
                     date_from="2025-05-01", date_to="2025-05-10")
    assert result["volume"]["per_day"] == 50
    body = api.get(f"{api.base}/api/v2/accounts/{account}/transactions/",
                   params={"date_from": "2025-05-01", "date_to": "2025-05-12"},
                   timeout=5).json()
    valued = [t for t in body["transactions"]["booked"]
              if "2025-05-01" <= t["valueDate"] <= "2025-05-10"]
    assert len(valued) == 500
    bad = requests.post(f"{sandbox.url}/_sandbox/volume",
                        json={"account": account, "total": 5}, timeout=5)
    assert bad.status_code == 400


def test_fault_control_log_and_counters(sandbox, api):
    control(sandbox, "reset")
    result = control(sandbox, "faults", faults=[
        {"kind": "500", "path": "/institutions/", "count": 1},
        {"kind": "malformed", "path": "/institutions/", "count": 1}])
    assert [f["kind"] for f in result["faults"]] == ["500", "malformed"]
    url = f"{api.base}/api/v2/institutions/"
    first = api.get(url, timeout=5)
    assert first.status_code == 500 and first.json()["status_code"] == 500
    second = api.get(url, timeout=5)
    with pytest.raises(ValueError):
        second.json()
    assert api.get(url, timeout=5).status_code == 200
    log = requests.get(f"{sandbox.url}/_sandbox/log", timeout=5).json()
    assert [(r["status"], r["fault"]) for r in log["requests"]] == [
        (500, "500"), (200, "malformed"), (200, None)]
    assert log["counters"] == {"GET /api/v2/institutions/": 3}
    unknown = requests.post(f"{sandbox.url}/_sandbox/faults",
                            json={"kind": "meteor"}, timeout=5)
    assert unknown.status_code == 400


def test_today_control_drives_expiry(sandbox, api):
    account = linked_account(api)
    assert control(sandbox, "today", advance_days=89)["today"] == "2025-09-27"
    ok = api.get(f"{api.base}/api/v2/accounts/{account}/balances/", timeout=5)
    assert ok.status_code == 200
    control(sandbox, "today", advance_days=1)
    expired = api.get(f"{api.base}/api/v2/accounts/{account}/balances/", timeout=5)
    assert expired.status_code == 401
    assert expired.json()["type"] == "AccessExpiredError"
    meta = api.get(f"{api.base}/api/v2/accounts/{account}/", timeout=5).json()
    assert meta["status"] == "EXPIRED"
    control(sandbox, "today", today=TODAY.isoformat())


def test_daily_limit_headers(sandbox, api):
    account = linked_account(api)
    control(sandbox, "limits", account_daily=2)
    try:
        url = f"{api.base}/api/v2/accounts/{account}/details/"
        first = api.get(url, timeout=5)
        assert first.headers["HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_LIMIT"] == "2"
        assert first.headers["HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_REMAINING"] == "1"
        assert api.get(url, timeout=5).status_code == 200
        third = api.get(url, timeout=5)
        assert third.status_code == 429
        assert third.json()["type"] == "RateLimitError"
        assert third.headers["HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_REMAINING"] == "0"
    finally:
        control(sandbox, "limits", account_daily=None)


def test_index_page_and_unknown_path(sandbox):
    index = requests.get(sandbox.url + "/", timeout=5)
    assert DEMO_SECRET_ID in index.text and sandbox.url in index.text
    missing = requests.get(sandbox.url + "/api/v2/nothing/", timeout=5)
    assert missing.status_code == 404 and missing.json()["summary"] == "Not found."


def test_two_sandboxes_get_their_own_port():
    with start_sandbox() as one, start_sandbox() as two:
        assert one.url != two.url
        assert requests.get(one.url + "/", timeout=5).status_code == 200


def test_command_line_help():
    result = subprocess.run(
        [sys.executable, "-m", "account_online_synchronization.sandbox", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0 and "--port" in result.stdout
