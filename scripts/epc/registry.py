"""WWSF trust registries (kamailio-cfg/schema/wwsf-registry.xsd) for the
tests and the demo: describe WWSFs in Python, write the XML file that
webrtc_origin and wwsf_token load.

    from epc.registry import Wwsf, Token, Key, write
    write(path, [Wwsf('demo', ['https://127.0.0.1:8443'],
                      identities=[('impu-domain', 'ims.test')])])

Files are replaced atomically (written beside, then renamed), so a reload
never reads half a file.
"""
import os
import tempfile
from xml.sax.saxutils import escape, quoteattr


class Key:
    """A token verification key: PEM text inline, or a file path."""

    def __init__(self, kid, alg, pem=None, file=None):
        self.kid, self.alg, self.pem, self.file = kid, alg, pem, file

    def xml(self):
        attrs = 'kid=%s alg=%s' % (quoteattr(self.kid), quoteattr(self.alg))
        if self.file is not None:
            return '<key %s file=%s/>' % (attrs, quoteattr(self.file))
        return '<key %s>\n%s\n</key>' % (attrs, escape(self.pem.strip()))


class Token:
    def __init__(self, issuer, audiences, algorithms, keys, max_lifetime=3600,
                 authz_server=None):
        self.issuer = issuer
        self.audiences = [audiences] if isinstance(audiences, str) else list(audiences)
        self.algorithms = list(algorithms)
        self.keys = list(keys)
        self.max_lifetime = max_lifetime
        self.authz_server = authz_server

    def xml(self):
        out = ['<token>', '<issuer>%s</issuer>' % escape(self.issuer)]
        out += ['<audience>%s</audience>' % escape(a) for a in self.audiences]
        out.append('<algorithms>%s</algorithms>' % ' '.join(self.algorithms))
        out.append('<max-lifetime>%d</max-lifetime>' % self.max_lifetime)
        if self.authz_server:
            out.append('<authz-server>%s</authz-server>' % escape(self.authz_server))
        out += [k.xml() for k in self.keys]
        out.append('</token>')
        return '\n'.join(out)


class Wwsf:
    """One trusted WWSF. identities: (element, value) pairs, e.g.
    ('impu-domain', 'ims.test'), ('impi', 'guest-*@ims.test')."""

    def __init__(self, id, origins, enabled=True, max_connections=0,
                 description=None, token=None, identities=(),
                 insecure_origins=()):
        self.id = id
        self.origins = list(origins)
        self.insecure_origins = list(insecure_origins)
        self.enabled = enabled
        self.max_connections = max_connections
        self.description = description
        self.token = token
        self.identities = list(identities)

    def xml(self):
        attrs = 'id=%s' % quoteattr(self.id)
        if not self.enabled:
            attrs += ' enabled="false"'
        if self.max_connections:
            attrs += ' max-connections="%d"' % self.max_connections
        out = ['<wwsf %s>' % attrs]
        if self.description:
            out.append('<description>%s</description>' % escape(self.description))
        out += ['<origin>%s</origin>' % escape(o) for o in self.origins]
        out += ['<origin allow-insecure="true">%s</origin>' % escape(o)
                for o in self.insecure_origins]
        if self.token:
            out.append(self.token.xml())
        if self.identities:
            out.append('<identities>')
            out += ['<%s>%s</%s>' % (e, escape(v), e) for e, v in self.identities]
            out.append('</identities>')
        out.append('</wwsf>')
        return '\n'.join(out)


def render(wwsfs):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<wwsf-registry version="1">\n%s\n</wwsf-registry>\n'
            % '\n'.join(w.xml() for w in wwsfs))


def write_text(path, text):
    """Replace path with text atomically."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.wwsf-', dir=d)
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write(path, wwsfs):
    write_text(path, render(wwsfs))


def default(stack):
    """The registry every stack starts with: the WWSF demo page's own origin
    (its port is chosen at run time; stack.wwsf_origin), allowed to
    allocate identities of the test IMS core's domain."""
    port = stack.ports['wwsf']
    return [
        Wwsf('demo', ['https://127.0.0.1:%d' % port, 'https://localhost:%d' % port],
             description='WWSF demo (kamailio-cfg/wwsf-demo)',
             identities=[('impu-domain', 'ims.test'), ('impi-domain', 'ims.test')]),
    ]


# The WWSF demo's web-authentication WWSF (U.2.1.3): its token issuer is
# its own origin, the audience names this eP-CSCF.
DEMO_AUDIENCE = 'sip:ep-cscf.ims.test'
DEMO_KID = 'wwsf-demo-es256'


def demo(stack):
    """The registry of 'make run' and the browser end-to-end tests: two
    WWSFs served by the WWSF demo server (kamailio-cfg/wwsf-demo), one per
    Annex U registration flow.

    demo      https://127.0.0.1:<wwsf>      web authentication (U.2.1.3):
              its users sign in on the page and get an ES256 token
              (issuer: its origin, key: stack.wwsf_signing_key())
    demo-ims  https://127.0.0.1:<wwsf_ims>  IMS authentication (U.2.1.2):
              no token section, only the Origin is checked; the WIC
              registers with the subscriber's IMS Digest credentials
    """
    key = stack.wwsf_signing_key()
    web = 'https://127.0.0.1:%d' % stack.ports['wwsf']
    ims = 'https://127.0.0.1:%d' % stack.ports['wwsf_ims']
    ident = [('impu-domain', 'ims.test'), ('impu-tel-prefix', '+1555'),
             ('impi-domain', 'ims.test')]
    return [
        Wwsf('demo', [web],
             description='WWSF demo, web login (kamailio-cfg/wwsf-demo)',
             token=Token(web, [DEMO_AUDIENCE], ['ES256'],
                         [Key(key.kid, 'ES256', pem=key.pub_pem)],
                         max_lifetime=3600, authz_server=web + '/login'),
             identities=ident),
        Wwsf('demo-ims', [ims],
             description='WWSF demo, IMS credentials (kamailio-cfg/wwsf-demo)',
             identities=ident),
    ]
