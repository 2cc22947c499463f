#!/usr/bin/env python3
"""Generate the test IMS core's subscriber store (Kamailio db_text) from
subscribers.txt: the 'subscriber' table for auth_db (HA1 only, no plain
passwords) and two tables that htable loads: 'impus' (IMPI -> implicit
registration set, the P-Associated-URI value) and 'aors' (every IMPU -> the
default IMPU it is registered under, so sip: and tel: IMPUs both route).

Usage: mkdb.py SUBSCRIBERS_TXT OUTDIR [REALM]
"""
import hashlib
import os
import sys


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def esc(s):
    # db_text escapes ':' and '\\' inside values
    return s.replace('\\', '\\\\').replace(':', '\\:')


def main():
    src, out = sys.argv[1], sys.argv[2]
    realm = sys.argv[3] if len(sys.argv) > 3 else None
    subs, impus, aors = [], [], []
    with open(src) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            impi, pw, uris = line.split()
            user, dom = impi.split('@', 1)
            r = realm or dom
            ha1 = md5('%s:%s:%s' % (user, r, pw))
            ha1b = md5('%s:%s:%s' % (impi, r, pw))
            subs.append('%d:%s:%s::%s:%s' % (len(subs) + 1, esc(user),
                                            esc(dom), ha1, ha1b))
            impu_list = uris.split(',')
            pau = ', '.join('<%s>' % u for u in impu_list)
            for u in impu_list:
                aors.append('%d:%s:0:0:%s:0' % (len(aors) + 1, esc(u),
                                                 esc(impu_list[0])))
            # htable row: key_name key_type(0=str) value_type(0=str) value expires
            impus.append('%d:%s:0:0:%s:0' % (len(impus) + 1, esc(impi),
                                             esc(pau)))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'version'), 'w') as f:
        f.write('id(int,auto) table_name(string) table_version(int) \n')
        f.write('0:subscriber:7\n0:impus:2\n0:aors:2\n')
    with open(os.path.join(out, 'subscriber'), 'w') as f:
        f.write('id(int,auto) username(string) domain(string) '
                'password(string,null) ha1(string) ha1b(string) \n')
        f.write(''.join(s + '\n' for s in subs))
    with open(os.path.join(out, 'impus'), 'w') as f:
        f.write('id(int,auto) key_name(string) key_type(int) '
                'value_type(int) key_value(string) expires(int) \n')
        f.write(''.join(s + '\n' for s in impus))
    with open(os.path.join(out, 'aors'), 'w') as f:
        f.write('id(int,auto) key_name(string) key_type(int) '
                'value_type(int) key_value(string) expires(int) \n')
        f.write(''.join(s + '\n' for s in aors))


if __name__ == '__main__':
    main()
