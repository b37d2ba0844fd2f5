#!/usr/bin/env python3
# tests/unit/milters/virusd_mkdata.py - the files tessera-virusd's tests
# scan, written at test time into DIR: the EICAR test string bare, with a
# newline, zipped (Python's zipfile), zipped several levels deep, base64
# in a MIME attachment and inline in a body, plus clean mail of several
# shapes and sizes. Usage: virusd_mkdata.py DIR
import base64
import io
import os
import sys
import zipfile

# Assembled here so that this file is not itself flagged by a scanner.
EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-"
         + "ANTIVIRUS-TEST-FILE!$H+H*").encode("ascii")
assert len(EICAR) == 68

HEAD = ("From: Alice <alice@example.test>\r\n"
        "To: Bob <bob@example.test>\r\n"
        "Subject: {subject}\r\n"
        "Message-ID: <{name}@example.test>\r\n"
        "Date: Sun, 06 Dec 2026 00:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n")


def zip_bytes(name, data):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return out.getvalue()


def nested_zip(data, depth):
    """data in a zip in a zip ... depth zips in all."""
    blob = zip_bytes("eicar.com", data)
    for i in range(1, depth):
        blob = zip_bytes("level%d.zip" % i, blob)
    return blob


def b64_lines(data):
    enc = base64.b64encode(data).decode("ascii")
    return "\r\n".join(enc[i:i + 76] for i in range(0, len(enc), 76))


def mail_plain(name, subject, body):
    return (HEAD.format(name=name, subject=subject)
            + "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            + body).encode("latin-1")


def mail_attach(name, subject, filename, data):
    b = "=-=tessera-boundary=-="
    text = (HEAD.format(name=name, subject=subject)
            + 'Content-Type: multipart/mixed; boundary="%s"\r\n\r\n' % b
            + "This is a multi-part message in MIME format.\r\n"
            + "--%s\r\n" % b
            + "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            + "See the attachment.\r\n"
            + "--%s\r\n" % b
            + "Content-Type: application/octet-stream; name=\"%s\"\r\n"
            % filename
            + "Content-Transfer-Encoding: base64\r\n"
            + "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n"
            % filename
            + b64_lines(data) + "\r\n"
            + "--%s--\r\n" % b)
    return text.encode("ascii")


def mail_many_zips(name, n):
    """n zip attachments of 200 KB of zeros each: slow to scan whole."""
    b = "=-=tessera-many=-="
    blob = b64_lines(zip_bytes("zeros.txt", b"0" * 200000))
    part = ("--%s\r\nContent-Type: application/zip\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n" % (b, blob))
    text = (HEAD.format(name=name, subject="many zips")
            + 'Content-Type: multipart/mixed; boundary="%s"\r\n\r\n' % b
            + part * n + "--%s--\r\n" % b)
    return text.encode("ascii")


def main():
    d = sys.argv[1]
    eicar = EICAR.decode("ascii")
    files = {
        "eicar.com": EICAR,
        "eicar-nl.txt": EICAR + b"\n",
        "eicar.zip": zip_bytes("eicar.com", EICAR),
        "eicar-depth6.zip": nested_zip(EICAR, 6),
        "eicar-depth2.zip": nested_zip(EICAR, 2),
        "attach.eml": mail_attach("attach", "invoice", "eicar.com", EICAR),
        "attach-zip.eml": mail_attach("attachzip", "invoice zipped",
                                      "eicar.zip",
                                      zip_bytes("eicar.com", EICAR)),
        "attach-depth6.eml": mail_attach("attachdeep", "deep",
                                         "deep.zip", nested_zip(EICAR, 6)),
        "inline.eml": mail_plain("inline", "inline test",
                                 "Hello Bob,\r\n\r\nthe test string:\r\n"
                                 + eicar + "\r\n\r\nAlice\r\n"),
        "clean.eml": mail_plain("clean", "lunch",
                                "Hello Bob,\r\n\r\nlunch at noon?\r\n\r\n"
                                "Alice\r\n"),
        "clean-attach.eml": mail_attach("cleanattach", "report",
                                        "report.bin",
                                        bytes(range(256)) * 40),
        "clean-zip.eml": mail_attach("cleanzip", "zipped report",
                                     "report.zip",
                                     zip_bytes("report.txt",
                                               b"quarterly numbers\n" * 50)),
        # 1000 zips: a scan of well over 100 ms (max_scan_time)
        "many-zips.eml": mail_many_zips("manyzips", 1000),
        # clean text, about 300 KiB: past a small max_scan_size
        "big.eml": mail_plain("big", "big",
                              "".join("line %06d of a long and harmless"
                                      " message body\r\n" % i
                                      for i in range(7000))),
    }
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
