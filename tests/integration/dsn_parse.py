#!/usr/bin/env python3
# tests/integration/dsn_parse.py - parse a delivery status notification
# with Python's email module (an independent RFC 3464 reader) for
# tests/integration/qmgr_dsn_test.c and print what it found, one fact a
# line:
#   TYPE <content type>            REPORT-TYPE <report-type parameter>
#   PARTS <n>                      PART <i> <content type>
#   MSG <field>: <value>           (per-message delivery-status fields)
#   RCPT <field>: <value>          (per-recipient fields, in order)
#   RETURNED-SUBJECT <subject of the returned message or header>
#   FROM <From:>  TO <To:>  SUBJECT <Subject:>
# Usage: dsn_parse.py FILE. Exit status 1 if FILE is not a multipart/report.
import email
import email.policy
import sys


def main():
    with open(sys.argv[1], 'rb') as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    print('TYPE %s' % msg.get_content_type())
    print('REPORT-TYPE %s' % msg.get_param('report-type'))
    print('FROM %s' % msg['From'])
    print('TO %s' % msg['To'])
    print('SUBJECT %s' % msg['Subject'])
    if msg.get_content_type() != 'multipart/report':
        return 1
    parts = msg.get_payload()
    print('PARTS %d' % len(parts))
    for i, p in enumerate(parts):
        print('PART %d %s' % (i, p.get_content_type()))
        if p.get_content_type() == 'message/delivery-status':
            blocks = p.get_payload()
            for k, v in blocks[0].items():
                print('MSG %s: %s' % (k, v))
            for b in blocks[1:]:
                for k, v in b.items():
                    print('RCPT %s: %s' % (k, v))
        elif p.get_content_type() == 'message/rfc822':
            print('RETURNED-SUBJECT %s' % p.get_payload()[0]['Subject'])
        elif p.get_content_type() == 'text/rfc822-headers':
            h = email.message_from_string(p.get_payload())
            print('RETURNED-SUBJECT %s' % h['Subject'])
    return 0


if __name__ == '__main__':
    sys.exit(main())
