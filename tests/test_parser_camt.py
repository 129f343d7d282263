"""CAMT parser tests: corpus samples against MANIFEST.tsv, edge cases, bad input.

Expected values are copied from the shared corpus MANIFEST.tsv (what the
source projects assert), not computed with our parser. Where our conventions
differ from the source project's, the comment says so.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest

from account_bank_statement_import.parsers import camt
from account_bank_statement_import.parsers.errors import FileTooLargeError, ParseError
from tests.corpus import CORPUS as SHARED_CORPUS
from tests.corpus import corpus_bytes

CORPUS = SHARED_CORPUS / "camt053"
D = Decimal


def load(name):
    return corpus_bytes(f"camt053/{name}")


# name: (statements, transactions per statement, opening, closing, currency,
#        account, first tx date, first tx amount, split_batches)
MANIFEST = {
    "bank-statement-import__test-camt053.xml": (
        1,
        [4],
        D("15568.27"),
        D("15121.12"),
        "EUR",
        "NL77ABNA0574908765",
        datetime.date(2014, 1, 5),
        D("-754.25"),
        True,
    ),
    "bank-statement-import__test-camt053-txdtls.xml": (
        1,
        [2],
        D("75960.15"),
        D("79443.15"),
        "CHF",
        "CH1111000000123456789",
        datetime.date(2017, 3, 22),
        D("2187.00"),
        True,
    ),
    # OCA returns no statement for an empty one; we return it (balances only).
    "bank-statement-import__test-camt053-no-ntry.xml": (
        1,
        [0],
        D("1520.76"),
        D("1520.76"),
        "CHF",
        "NL77ABNA0574908765",
        None,
        None,
        False,
    ),
    # 2014-01-04T23:00:00Z: the date as written (see test_dttm_time_zone).
    "bank-statement-import__test-camt053-bookgdt-dttm.xml": (
        1,
        [1],
        D("15568.27"),
        D("15121.12"),
        "EUR",
        "NL77ABNA0574908765",
        datetime.date(2014, 1, 4),
        D("-754.25"),
        False,
    ),
    "camt__camt053.v2.all-balance-types.xml": (
        1,
        [1],
        D("1.01"),
        D("4.04"),
        "EUR",
        "CH2801234000123456789",
        datetime.date(2014, 12, 31),
        D("8.85"),
        False,
    ),
    "camt__camt053.v2.five.decimals.xml": (
        1,
        [1],
        D("18.15"),
        D("27.05"),
        "EUR",
        "NL26VAYB8060476890",
        datetime.date(2014, 12, 31),
        D("8.85"),
        False,
    ),
    "camt__camt053.v2.minimal.xml": (
        1,
        [1],
        D("18.15"),
        D("-27.00"),
        "EUR",
        "NL26VAYB8060476890",
        datetime.date(2014, 12, 31),
        D("8.85"),
        False,
    ),
    "camt__camt053.v2.multi.statement.xml": (
        2,
        [1, 1],
        D("18.15"),
        D("27.00"),
        "EUR",
        "NL26VAYB8060476890",
        datetime.date(2014, 12, 31),
        D("8.85"),
        False,
    ),
    "camt__camt053.v2.with-account-name.xml": (
        1,
        [1],
        None,
        None,
        "EUR",
        "CH2801234000123456789",
        datetime.date(2014, 12, 31),
        D("8.85"),
        False,
    ),
    "camt__camt053.v3.xml": (
        1,
        [1],
        D("18.15"),
        D("-27.00"),
        "EUR",
        "NL26VAYB8060476890",
        datetime.date(2014, 12, 31),
        D("8.85"),
        False,
    ),
    "camt__camt053.v4.xml": (
        1,
        [1],
        D("18.15"),
        D("-27.00"),
        "EUR",
        "NL26VAYB8060476890",
        datetime.date(2014, 12, 31),
        D("8.85"),
        False,
    ),
    "camt__camt053.v8.xml": (
        1,
        [1],
        D("18.15"),
        D("-27.00"),
        "EUR",
        "NL26VAYB8060476890",
        datetime.date(2014, 12, 31),
        D("8.85"),
        False,
    ),
    "camt__camt53.only-Dt-with-DtTm.xml": (
        1,
        [0],
        D("5442.09"),
        None,
        "RON",
        "GB33BUKB20201555555555",
        None,
        None,
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus_against_manifest(name):
    (n_stmt, n_txs, opening, closing, currency, account, first_date, first_amount, split) = (
        MANIFEST[name]
    )
    data = load(name)
    assert camt.sniff(data)
    statements = camt.parse(data, split_batches=split)
    assert len(statements) == n_stmt
    assert [len(stmt.transactions) for stmt in statements] == n_txs
    first = statements[0]
    assert first.balance_start == opening
    assert first.balance_end == closing
    assert first.currency == currency
    assert first.account_number == account
    if first_date:
        tx = first.transactions[0]
        assert (tx.date, tx.amount) == (first_date, first_amount)
        assert isinstance(tx.amount, Decimal)


def test_oca_sample_details_split():
    stmt = camt.parse(load("bank-statement-import__test-camt053.xml"), split_batches=True)[0]
    assert stmt.name == "1234Test/1"
    assert stmt.bank_bic == "ABNANL2A"
    assert stmt.date == datetime.date(2014, 1, 5)
    # MANIFEST: tx amounts -754.25, -564.05, -100.00, +1405.31
    assert [tx.amount for tx in stmt.transactions] == [
        D("-754.25"),
        D("-564.05"),
        D("-100.00"),
        D("1405.31"),
    ]
    # MANIFEST refs: EndToEndIds
    assert [tx.ref for tx in stmt.transactions] == [
        "435005714488-ABNO33052620",
        "TESTBANK/NL/20141229/01206408",
        "TESTBANK/NL/20141229/01206407",
        "115",
    ]
    first = stmt.transactions[0]
    assert first.partner_name == "INSURANCE COMPANY TESTX"
    assert first.account_number == "NL46ABNA0499998748"
    assert first.transaction_type == "PMNT-RDDT-ESDD / EI"
    assert first.label == "Insurance policy 857239PERIOD 01.01.2014 - 31.12.2014"
    assert "MKB Insurance 859239PERIOD" in first.narration
    reversal = stmt.transactions[1]
    assert reversal.raw["reversal"] is True
    assert reversal.raw["return_reason"] == "AC06"
    assert reversal.partner_name == "Test Customer"
    last = stmt.transactions[3]
    assert (last.partner_name, last.account_number) == ("3rd party Media", "NL69ABNA0522123643")
    # no AcctSvcrRef/NtryRef in this file: whole entries get no id (never a
    # position); split batch lines are identified by their TxDtls refs.
    assert [tx.unique_import_id for tx in stmt.transactions] == [
        None,
        "TESTBANK/NL/20141229/01206408",
        "TESTBANK/NL/20141229/01206407",
        None,
    ]


def test_batch_kept_whole_by_default():
    stmt = camt.parse(load("bank-statement-import__test-camt053.xml"))[0]
    assert [tx.amount for tx in stmt.transactions] == [D("-754.25"), D("-664.05"), D("1405.31")]
    batch = stmt.transactions[1]
    assert batch.raw["batch"] == {
        "msg_id": "2014/125",
        "payment_info_id": "2018/125-20141229-NORM",
        "count": "2",
        "details": 2,
    }
    assert batch.label == "Batch of 2 transactions"


def test_txdtls_sample_split_labels_and_ids():
    stmt = camt.parse(load("bank-statement-import__test-camt053-txdtls.xml"), split_batches=True)[
        0
    ]
    first, second = stmt.transactions
    assert first.label.startswith("CRÉDIT GROUPÉ BVR TRAITEMENT DU 22.03.2017")
    assert (first.ref, second.ref) == (
        "302388292000011111111111111",
        "302388292000022222222222222",
    )
    assert second.amount == D("1296.00")
    assert first.unique_import_id != second.unique_import_id
    assert first.unique_import_id.startswith("20170323001234567891234567891234/")
    whole = camt.parse(load("bank-statement-import__test-camt053-txdtls.xml"))[0]
    assert [tx.amount for tx in whole.transactions] == [D("3483.00")]
    assert whole.transactions[0].unique_import_id == "20170323001234567891234567891234"


def test_genkgo_details():
    stmt = camt.parse(load("camt__camt053.v2.minimal.xml"))[0]
    tx = stmt.transactions[0]
    assert tx.value_date == datetime.date(2015, 1, 2)
    assert tx.label == "4654654654654654"  # MANIFEST: Strd CdtrRef
    assert tx.partner_name == "NAME NAME"  # credit: the debtor
    types = [bal["type"] for bal in stmt.raw["balances"]]
    assert types == ["OPBD", "CLBD", "OPAV", "CLAV"]
    v8 = camt.parse(load("camt__camt053.v8.xml"))[0]
    assert v8.transactions[0].ref == "MUELL/FINP/RA12345"
    assert v8.transactions[0].unique_import_id == "AAAASESS-FP-CN_98765/01"
    multi = camt.parse(load("camt__camt053.v2.multi.statement.xml"))
    assert [s.name for s in multi] == ["253EURNL26VAYB8060476890", "254EURNL26VAYB8060476890"]
    assert (multi[1].balance_start, multi[1].balance_end) == (D("27.00"), D("20.00"))
    assert multi[1].transactions[0].amount == D("-7.00")
    assert multi[1].transactions[0].label == "Transaction Description 2"


def test_prcd_opening_when_no_opbd():
    # all-balance-types has OPBD 1.01 and PRCD 2.02: OPBD wins.
    data = load("camt__camt053.v2.all-balance-types.xml")
    assert camt.parse(data)[0].balance_start == D("1.01")
    without_opbd = data.replace(b"<Cd>OPBD</Cd>", b"<Cd>XXXX</Cd>", 1)
    assert camt.parse(without_opbd)[0].balance_start == D("2.02")


def test_dttm_time_zone():
    data = load("bank-statement-import__test-camt053-bookgdt-dttm.xml")
    tx = camt.parse(data, tz="Europe/Amsterdam")[0].transactions[0]
    assert tx.date == datetime.date(2014, 1, 5)  # MANIFEST (converted to user tz)
    with pytest.raises(ParseError, match="time zone"):
        camt.parse(data, tz="Mars/Olympus")


# ----------------------------------------------------------------- synthetic


def doc(entries, *, msg="053", version="08", container=None, balances=None):
    message, default = {
        "053": ("BkToCstmrStmt", "Stmt"),
        "052": ("BkToCstmrAcctRpt", "Rpt"),
        "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
    }[msg]
    container = container or default
    if balances is None:
        balances = (
            "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>"
            '<Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            "<Dt><Dt>2024-03-01</Dt></Dt></Bal>"
            "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>"
            '<Amt Ccy="EUR">50.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
            "<Dt><Dt>2024-03-31</Dt></Dt></Bal>"
        )
    return (
        f'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
        f'camt.{msg}.001.{version}"><{message}><GrpHdr><MsgId>M</MsgId></GrpHdr>'
        f"<{container}><Id>S1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id>"
        f"<Ccy>EUR</Ccy></Acct>{balances}{entries}</{container}></{message}></Document>"
    ).encode()


def entry(
    amount="10.00",
    ind="CRDT",
    status="<Sts><Cd>BOOK</Cd></Sts>",
    extra="",
    details="",
    date="<Dt>2024-03-05</Dt>",
    ref="<AcctSvcrRef>R1</AcctSvcrRef>",
):
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd>{extra}'
        f"{status}<BookgDt>{date}</BookgDt>{ref}<BkTxCd/>"
        f"{details}</Ntry>"
    )


PARTIES = (
    "<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Debtor Ltd</Nm></Pty></Dbtr>"
    "<DbtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></DbtrAcct>"
    "<Cdtr><Pty><Nm>Creditor AG</Nm></Pty></Cdtr>"
    "<CdtrAcct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></CdtrAcct></RltdPties>"
    "<RltdAgts><DbtrAgt><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></DbtrAgt>"
    "</RltdAgts></TxDtls></NtryDtls>"
)


@pytest.mark.parametrize("msg", ["052", "053", "054"])
@pytest.mark.parametrize("version", ["02", "04", "06", "08", "10", "13"])
def test_versions_and_messages(msg, version):
    (stmt,) = camt.parse(doc(entry(), msg=msg, version=version))
    assert stmt.raw["message"] == f"camt.{msg}"
    assert stmt.account_number == "DE89370400440532013000"
    assert (stmt.balance_start, stmt.balance_end) == (D("100.00"), D("-50.00"))
    assert stmt.transactions[0].unique_import_id == "R1"


@pytest.mark.parametrize(
    ("ind", "reversal", "amount", "partner"),
    [
        ("CRDT", "", D("10.00"), "Debtor Ltd"),
        ("DBIT", "", D("-10.00"), "Creditor AG"),
        # reversal of an earlier debit: money back in; parties of the original
        # debit (we paid the creditor), so the creditor is the counterparty
        ("CRDT", "<RvslInd>true</RvslInd>", D("10.00"), "Creditor AG"),
        ("DBIT", "<RvslInd>true</RvslInd>", D("-10.00"), "Debtor Ltd"),
    ],
)
def test_sign_reversal_and_counterparty(ind, reversal, amount, partner):
    (stmt,) = camt.parse(doc(entry(ind=ind, extra=reversal, details=PARTIES)))
    tx = stmt.transactions[0]
    assert tx.amount == amount
    assert tx.partner_name == partner
    assert tx.raw.get("reversal", False) is bool(reversal)
    if partner == "Debtor Ltd":
        assert tx.account_number == "FR7630006000011234567890189"
        assert tx.counterparty_bic == "BNPAFRPP"


def test_own_account_is_never_the_counterparty():
    details = PARTIES.replace("NL91ABNA0417164300", "DE89370400440532013000")
    tx = camt.parse(doc(entry(ind="DBIT", details=details)))[0].transactions[0]
    assert tx.partner_name == "Debtor Ltd"


def test_pending_skipped_unless_asked():
    entries = (
        entry()
        + entry(status="<Sts><Cd>PDNG</Cd></Sts>", ref="")
        + entry(amount="1.00", status="<Sts>INFO</Sts>", ref="<NtryRef>N3</NtryRef>")
    )
    (stmt,) = camt.parse(doc(entries))
    assert [tx.amount for tx in stmt.transactions] == [D("10.00")]
    assert stmt.raw["skipped_entries"] == {"PDNG": 1, "INFO": 1}
    (stmt,) = camt.parse(doc(entries), include_pending=True)
    assert [tx.raw.get("status") for tx in stmt.transactions] == [None, "PDNG", "INFO"]
    assert stmt.transactions[2].unique_import_id == "N3"


def test_duplicate_bank_ids_are_dropped():
    (stmt,) = camt.parse(
        doc(entry() + entry(amount="2.00") + entry(ref="<AcctSvcrRef>R2</AcctSvcrRef>"))
    )
    assert [tx.unique_import_id for tx in stmt.transactions] == [None, None, "R2"]


def test_foreign_currency_and_charges():
    details = (
        '<NtryDtls><TxDtls><AmtDtls><InstdAmt><Amt Ccy="USD">12.00</Amt>'
        "<CcyXchg><SrcCcy>USD</SrcCcy><TrgtCcy>EUR</TrgtCcy><XchgRate>0.9</XchgRate>"
        '</CcyXchg></InstdAmt><TxAmt><Amt Ccy="EUR">10.80</Amt></TxAmt></AmtDtls>'
        "<RmtInf><Ustrd>Invoice 42</Ustrd><Ustrd>part 2</Ustrd></RmtInf>"
        "</TxDtls></NtryDtls>"
    )
    charges = (
        '<Chrgs><Rcrd><Amt Ccy="EUR">0.50</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        "<ChrgInclInd>true</ChrgInclInd></Rcrd></Chrgs>"
    )
    data = doc(
        entry(
            amount="10.80",
            ind="DBIT",
            details=details,
            ref="<AcctSvcrRef>R1</AcctSvcrRef>" + charges,
        )
    )
    tx = camt.parse(data)[0].transactions[0]
    assert (tx.amount, tx.foreign_amount, tx.foreign_currency) == (D("-10.80"), D("-12.00"), "USD")
    assert tx.raw["exchange"]["XchgRate"] == "0.9"
    assert tx.raw["charges"] == [
        {"amount": "0.50", "currency": "EUR", "indicator": "DBIT", "included": "true"}
    ]
    assert tx.label == "Invoice 42 part 2"


def test_split_refused_when_amounts_do_not_add_up():
    details = (
        '<NtryDtls><TxDtls><Amt Ccy="EUR">3.00</Amt></TxDtls>'
        '<TxDtls><Amt Ccy="EUR">4.00</Amt></TxDtls></NtryDtls>'
    )
    (tx,) = camt.parse(doc(entry(details=details)), split_batches=True)[0].transactions
    assert tx.amount == D("10.00")
    assert "add up to 7.00" in tx.raw["split_refused"]


def test_value_date_dttm_and_missing_booking_date():
    data = doc(entry(date="<DtTm>2024-03-05T10:00:00+01:00</DtTm>"))
    assert camt.parse(data)[0].transactions[0].date == datetime.date(2024, 3, 5)
    no_date = doc(entry().replace("<BookgDt><Dt>2024-03-05</Dt></BookgDt>", ""))
    with pytest.raises(ParseError, match="booking date"):
        camt.parse(no_date)


def test_sniff():
    assert camt.sniff(doc(entry()))
    assert not camt.sniff(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.03'/>")
    assert not camt.sniff(b":20:STARTUMS\n:25:123\n")


# ----------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    ("data", "message", "where"),
    [
        (doc(entry())[:-40], "invalid XML", "line 1"),
        (
            doc(entry()).replace(b"camt.053.001.08", b"camt.999.001.08"),
            "not a CAMT",
            "element Document",
        ),
        (doc(entry(), version="14"), "unsupported CAMT version", "element Document"),
        (doc(entry(), container="Foo"), "no Stmt", "element BkToCstmrStmt"),
        (
            doc(entry(date="<Dt>2024-02-31</Dt>")),
            "invalid date",
            "element Stmt[1]/Ntry[1]/BookgDt/Dt",
        ),
        (doc(entry(amount="12,50")), "invalid amount", "element Stmt[1]/Ntry[1]/Amt"),
        (doc(entry(amount="abc")), "invalid amount", "element Stmt[1]/Ntry[1]/Amt"),
        (doc(entry(ind="XXXX")), "CRDT or DBIT", "element Stmt[1]/Ntry[1]/CdtDbtInd"),
        (b"", "empty file", None),
        (b"   \n", "empty file", None),
        (b"<html><body>hi</body></html>", "not a CAMT", "element Document"),
    ],
)
def test_malformed(data, message, where):
    with pytest.raises(ParseError, match=message) as info:
        camt.parse(data)
    assert info.value.where == where


def test_wrong_corpus_file_has_no_statement():
    with pytest.raises(ParseError, match="no Stmt"):
        camt.parse(load("camt__camt053.v2.wrong.xml"))


def test_xxe_and_billion_laughs_refused():
    xxe = (
        doc(entry())
        .replace(
            b"<Document",
            b'<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document',
            1,
        )
        .replace(b"<Id>S1</Id>", b"<Id>&x;</Id>")
    )
    with pytest.raises(ParseError, match="entity"):
        camt.parse(xxe)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY a "aaaaaaaa">'
        + b"".join(
            b'<!ENTITY a%d "&a%s;&a%s;&a%s;&a%s;">'
            % (
                i,
                b"" if i == 1 else b"%d" % (i - 1),
                b"" if i == 1 else b"%d" % (i - 1),
                b"" if i == 1 else b"%d" % (i - 1),
                b"" if i == 1 else b"%d" % (i - 1),
            )
            for i in range(1, 10)
        )
        + b"]><Document>&a9;</Document>"
    )
    with pytest.raises(ParseError, match="entity"):
        camt.parse(laughs)


def test_oversize():
    with pytest.raises(FileTooLargeError):
        camt.parse(doc(entry()), max_size=100)


def test_streaming_drops_processed_entries():
    """Entries are removed from the tree once read (memory flat in entries)."""
    seen = []
    original = camt._Reader._entry

    def spy(self, state, ntry):
        seen.append(len(state.elem.findall(self.q("Ntry"))))
        return original(self, state, ntry)

    camt._Reader._entry = spy
    try:
        (stmt,) = camt.parse(doc(entry(ref="", details=PARTIES) * 5000))
    finally:
        camt._Reader._entry = original
    assert len(stmt.transactions) == 5000
    # lxml parses ahead by one input buffer; never the whole file
    assert max(seen) < 500
    assert seen[-1] <= 2


# -- the unqualified reading of the usual layout (see camt._source) -----------


def _outcome(data, qualified=False, **options):
    """Statements as JSON (or the error) of ``data``, read with every tag
    qualified when ``qualified`` (the general reading)."""
    with pytest.MonkeyPatch.context() as patch:
        if qualified:
            patch.setattr(camt, "_source", lambda data, reader: io.BytesIO(data))
        try:
            return [stmt.to_json() for stmt in camt.parse(data, **options)]
        except ParseError as error:
            return ("error", str(error), str(error.where))


def _reading(data):
    return type(camt._source(data, camt._Reader(False, False, None))).__name__


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.xml")), ids=lambda path: path.name)
@pytest.mark.parametrize("split", [False, True])
def test_unqualified_reading_matches_qualified(path, split):
    """Every CAMT sample uses the usual layout, and reading it without the
    namespace gives what the general reading gives, errors included."""
    data = path.read_bytes()
    assert _reading(data) == "_Spliced"
    fast = _outcome(data, split_batches=split)
    assert fast == _outcome(data, qualified=True, split_batches=split)


USUAL = doc(entry(details=PARTIES) * 3)
PREFIXED = re.sub(rb"<(/?)(?![?])", rb"<\1c:", USUAL).replace(b"xmlns=", b"xmlns:c=")


@pytest.mark.parametrize(
    "data",
    [
        PREFIXED,
        USUAL.replace(b"?><Document", b"?><!-- export --><Document"),
        # the CAMT namespace declared again lower down
        USUAL.replace(b"<Stmt>", b'<Stmt xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'),
    ],
    ids=["prefixed", "comment", "declared-again"],
)
def test_other_layouts_keep_their_namespaces(data):
    """Layouts where blanking the default declaration is not known to be
    harmless are read with their namespaces, to the same statements."""
    assert _reading(data) == "BytesIO"
    assert _outcome(data) == _outcome(USUAL)


@pytest.mark.parametrize("declaration", [b' xmlns="urn:other"', b' xmlns=""'])
@pytest.mark.parametrize("position", [1, 2])
def test_entry_in_another_namespace_is_refused(declaration, position):
    """An entry declared in another namespace (or in none) below the root is
    not a CAMT entry: the file is read with its namespaces, and the entry is
    refused and named, the first of its statement as well as a later one."""
    entries = [entry(details=PARTIES)] * 3
    entries[position - 1] = entries[position - 1].replace(
        "<Ntry>", "<Ntry" + declaration.decode() + ">"
    )
    data = doc("".join(entries))
    assert _reading(data) == "BytesIO"
    error, message, where = _outcome(data)
    assert error == "error" and "wrong namespace" in message
    assert where == f"element Stmt[1]/Ntry[{position}]"


def test_unqualified_reading_keeps_error_positions():
    """The declaration is blanked, not removed: a syntax error names the
    same line either way."""
    data = doc(entry()).replace(b"<Stmt>", b"\n\n<Stmt>").replace(b"</Ntry>", b"\n</Nt>")
    assert _reading(data) == "_Spliced"
    fast = _outcome(data)
    assert fast[0] == "error" and "line 4" in fast[2]
    assert fast == _outcome(data, qualified=True)
