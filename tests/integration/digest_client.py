"""A digest client written here with hashlib (RFC 7616, RFC 8760), so that
the tests check the server against an implementation of their own, SHA-256
included (SIPp answers MD5 only)."""
import hashlib
import re


def H(alg, s):
    return (hashlib.sha256 if alg.startswith("SHA-256") else hashlib.md5)(s.encode()).hexdigest()


def challenges(resp, proxy=False):
    """The challenges of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate),
    in order, each a dict of its parameters."""
    name = rb"Proxy-Authenticate" if proxy else rb"WWW-Authenticate"
    out = []
    for m in re.finditer(rb"\r\n" + name + rb": Digest ([^\r\n]*)", resp):
        out.append(dict((k.decode(), v.decode()) for k, v in re.findall(rb'(\w+)="?([^",]*)"?', m.group(1))))
    return out


def authorization(ch, user, password, uri, method="REGISTER", nc=1, uri_in_cred=None, realm=None):
    """The credentials (the value of Authorization or Proxy-Authorization)
    answering challenge `ch` for a request of `method` to `uri` (the
    credentials may name another URI: uri_in_cred), qop=auth."""
    alg = ch.get("algorithm", "MD5")
    realm = realm or ch["realm"]
    ha1 = H(alg, f"{user}:{realm}:{password}")
    cred_uri = uri_in_cred or uri
    ha2 = H(alg, f"{method}:{cred_uri}")
    ncs, cnonce = f"{nc:08x}", "0a4f113b"
    resp = H(alg, f"{ha1}:{ch['nonce']}:{ncs}:{cnonce}:auth:{ha2}")
    return (f'Digest username="{user}", realm="{realm}", nonce="{ch["nonce"]}", uri="{cred_uri}", '
            f'response="{resp}", algorithm={alg}, qop=auth, nc={ncs}, cnonce="{cnonce}"')
