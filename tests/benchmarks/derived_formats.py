"""Write the generator's CSV statement again as QIF, MT940, CODA and XLSX.

The shared generator writes CAMT, OFX and CSV only; the benchmark derives the
other formats from its CSV so that every format is measured on the same
transactions (growth with the file size is what matters there: these formats
have no raw parsing library to compare with). Amounts stay exact (text in,
text out, no float). Used by ``bench_parsers.py``; stdlib plus openpyxl.
"""

import csv
import datetime
import io
from decimal import Decimal

CODA_STATEMENT_SIZE = 1000  # movements per CODA statement (its sequence has 4 digits)
MT940_STATEMENT_SIZE = 1000  # transactions per MT940 message


def read_csv(path):
    """``(opening balance, [row dict])`` of the generator's CSV file."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    first = rows[0]
    opening = Decimal(first["Balance"]) - Decimal(first["Amount"])
    return opening, rows


def _day(text):
    return datetime.date.fromisoformat(text)


def write_qif(rows, opening):
    """A QIF bank file (US dates, thousands separators as banks write them)."""
    out = io.StringIO()
    out.write("!Type:Bank\n")
    for row in rows:
        day = _day(row["Date"])
        out.write(
            f"D{day.month}/{day.day}/{day.year}\nT{Decimal(row['Amount']):,}\n"
            f"P{row['Partner Name']}\nM{row['Label']}\nN{row['Transaction ID']}\n^\n"
        )
    return out.getvalue().encode("utf-8")


def _mt_amount(value):
    return f"{abs(value)}".replace(".", ",")


def write_mt940(rows, opening):
    """MT940 messages of ``MT940_STATEMENT_SIZE`` transactions each."""
    out = io.StringIO()
    balance = opening
    for start in range(0, len(rows), MT940_STATEMENT_SIZE):
        chunk = rows[start : start + MT940_STATEMENT_SIZE]
        first_day = _day(chunk[0]["Date"])
        mark = "C" if balance >= 0 else "D"
        out.write(
            f":20:BENCH{start // MT940_STATEMENT_SIZE + 1}\n:25:NL91ABNA0417164300\n"
            f":28C:{start // MT940_STATEMENT_SIZE + 1}/1\n"
            f":60F:{mark}{first_day:%y%m%d}EUR{_mt_amount(balance)}\n"
        )
        for row in chunk:
            amount = Decimal(row["Amount"])
            day = _day(row["Date"])
            balance += amount
            out.write(
                f":61:{day:%y%m%d}{day:%m%d}{'C' if amount >= 0 else 'D'}{_mt_amount(amount)}"
                f"NTRF{row['Reference'][:16]}//{row['Transaction ID'][:16]}\n"
                f":86:/EREF/{row['Reference']}/IBAN/{row['Bank Account']}"
                f"/NAME/{row['Partner Name']}/REMI/{row['Label']}\n"
            )
        mark = "C" if balance >= 0 else "D"
        out.write(f":62F:{mark}{_day(chunk[-1]['Date']):%y%m%d}EUR{_mt_amount(balance)}\n-\n")
    return out.getvalue().encode("latin-1", errors="replace")


def _coda_amount(value):
    return f"{int(abs(value) * 1000):015d}"


def _coda_sign(value):
    return "1" if value < 0 else "0"


def _record(text):
    if len(text) != 128:
        raise ValueError(f"CODA record of {len(text)} characters: {text!r}")
    return text + "\r\n"


def write_coda(rows, opening):
    """Concatenated CODA 2 files (records 0, 1, 21/22 per movement, 8, 9) of
    ``CODA_STATEMENT_SIZE`` movements each, as a year of daily files is."""
    out = io.StringIO()
    balance = opening
    account = "BE68539007547034".ljust(34)  # structure 2: Belgian IBAN
    for start in range(0, len(rows), CODA_STATEMENT_SIZE):
        chunk = rows[start : start + CODA_STATEMENT_SIZE]
        number = start // CODA_STATEMENT_SIZE + 1
        first_day = _day(chunk[0]["Date"])
        out.write(
            _record(
                f"00000{first_day:%d%m%y}00000        00000000  BENCH COMPANY".ljust(60)
                + "GEBABEBB   00000000000 00000".ljust(67)
                + "2"
            )
        )
        out.write(
            _record(
                f"12{number % 1000:03d}{account}EUR{_coda_sign(balance)}"
                f"{_coda_amount(balance)}{first_day:%d%m%y}"
                + "BENCH COMPANY".ljust(26)
                + "Bench account".ljust(35)
                + f"{number % 1000:03d}"
            )
        )
        debit = credit = Decimal(0)
        for index, row in enumerate(chunk, start=1):
            amount = Decimal(row["Amount"])
            day = f"{_day(row['Date']):%d%m%y}"
            balance += amount
            if amount < 0:
                debit -= amount
            else:
                credit += amount
            label = row["Label"].encode("latin-1", "replace").decode("latin-1")[:53].ljust(53)
            partner = row["Partner Name"].encode("latin-1", "replace").decode("latin-1")[:35]
            partner = partner.ljust(35)
            out.write(
                _record(
                    f"21{index:04d}0000{row['Transaction ID'][:21].ljust(21)}"
                    f"{_coda_sign(amount)}{_coda_amount(amount)}{day}00150000"
                    f"0{label}{day}{number % 1000:03d}01 0"
                )
            )
            # 2.2: the end-to-end reference; 2.3: the counterparty.
            out.write(
                _record(
                    f"22{index:04d}0000{' ' * 53}{row['Reference'][:35].ljust(35)}"
                    f"{'GEBABEBB'.ljust(11)}".ljust(125)
                    + "1 0"
                )
            )
            out.write(
                _record(
                    f"23{index:04d}0000{row['Bank Account'][:34].ljust(34)}EUR{partner}".ljust(125)
                    + "0 1"
                )
            )
        out.write(
            _record(
                f"8{number % 1000:03d}{account}EUR{_coda_sign(balance)}{_coda_amount(balance)}"
                f"{_day(chunk[-1]['Date']):%d%m%y}".ljust(127)
                + "0"
            )
        )
        out.write(
            _record(
                f"9{' ' * 15}{len(chunk) * 3 + 2:06d}{_coda_amount(debit)}"
                f"{_coda_amount(credit)}".ljust(127)
                + "2"
            )
        )
    return out.getvalue().encode("latin-1")


def write_xlsx(rows, opening):
    """An XLSX workbook with the CSV's columns, dates and amounts typed."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Transactions")
    header = list(rows[0])
    sheet.append(header)
    for row in rows:
        values = dict(row)
        for key in ("Date", "Value Date"):
            values[key] = _day(values[key])
        for key in ("Amount", "Balance"):
            values[key] = float(Decimal(values[key]))  # Excel stores numbers as doubles
        sheet.append([values[key] for key in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


WRITERS = {
    "qif": ("qif_{n}.qif", write_qif),
    "mt940": ("mt940_{n}.sta", write_mt940),
    "coda": ("coda_{n}.cod", write_coda),
    "xlsx": ("xlsx_{n}.xlsx", write_xlsx),
}
