"""A handler stand-in for the tests of names in the Python seatbelt (run inside netns.py's world:
allowed.test is 127.0.0.2 and other.test 127.0.0.3 in /etc/hosts; the name server answers
evil.test and bypass.test with 127.0.0.4; listeners on port 8443 of each). `hosts.py SCENARIO`
tries the acts of one scenario and prints one JSON line per attempt, as act.py does:
  {"name": ..., "ok": true, "value": ...}
  {"name": ..., "ok": false, "error": ..., "errno": ..., "message": ...}
"""
import json
import os
import socket
import sys

scenario = sys.argv[1]


def out(o):
    sys.stdout.write(json.dumps(o) + '\n')
    sys.stdout.flush()


def attempt(name, f):
    try:
        v = f()
        out({'name': name, 'ok': True, 'value': v})
    except BaseException as e:  # noqa: BLE001 - everything is a result here
        reason = getattr(e, 'reason', None)  # urllib's URLError: what failed underneath
        if isinstance(reason, BaseException):
            e = reason
        out({'name': name, 'ok': False, 'error': type(e).__name__, 'errno': getattr(e, 'errno', None),
             'message': getattr(e, 'strerror', None) or str(e)})


def addresses(host, port=None):
    return sorted({r[4][0] for r in socket.getaddrinfo(host, port, socket.AF_INET)})


def create(host, port):
    with socket.create_connection((host, port), timeout=5) as s:
        return s.getpeername()[0]


def connect(host, port, ex=False):
    with socket.socket() as s:
        s.settimeout(5)
        if ex:
            return s.connect_ex((host, port))
        s.connect((host, port))
        return s.getpeername()[0]


def connect6(host, port):
    with socket.socket(socket.AF_INET6) as s:
        s.settimeout(5)
        s.connect((host, port))
        return s.getpeername()[0]


def around_the_wrapper(host, port):
    # The C method itself, not socket.socket's: the name is looked up before the event.
    import _socket
    with socket.socket() as s:
        _socket.socket.connect(s, (host, port))
        return s.getpeername()[0]


def sendto(host, port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        return s.sendto(b'x', (host, port))


def bind(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return 'bound'


def urlopen(url):
    import urllib.request
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status


def aio(host, port):
    import asyncio

    async def go():
        reader, writer = await asyncio.open_connection(host, port)
        peer = writer.get_extra_info('peername')[0]
        writer.close()
        return peer
    return asyncio.run(go())


def enforce():
    attempt('create_connection allowed.test:8443', lambda: create('allowed.test', 8443))
    attempt('connect 127.0.0.2:8443 (bound to allowed.test)', lambda: connect('127.0.0.2', 8443))
    attempt('connect allowed.test:8443 by name', lambda: connect('allowed.test', 8443))
    attempt('getaddrinfo ALLOWED.Test.', lambda: addresses('ALLOWED.Test.', 443))
    attempt('getaddrinfo evil.test', lambda: socket.getaddrinfo('evil.test', 443))
    attempt('gethostbyname evil.test', lambda: socket.gethostbyname('evil.test'))
    attempt('gethostbyname_ex evil.test', lambda: socket.gethostbyname_ex('evil.test'))
    attempt('gethostbyaddr evil.test', lambda: socket.gethostbyaddr('evil.test'))
    attempt('getaddrinfo evil\u3002test (idna)', lambda: socket.getaddrinfo('evil\u3002test', 443))
    attempt('getaddrinfo localhost', lambda: socket.getaddrinfo('localhost', 443))
    attempt('gethostbyname other.test', lambda: socket.gethostbyname('other.test'))
    attempt('connect 127.0.0.3:8443 (bound to other.test for 9000)', lambda: connect('127.0.0.3', 8443))
    attempt('connect [::ffff:127.0.0.2]:8443 (mapped, bound to allowed.test)', lambda: connect6('::ffff:127.0.0.2', 8443))
    attempt('connect [::ffff:127.0.0.3]:8443 (mapped, bound to other.test for 9000)', lambda: connect6('::ffff:127.0.0.3', 8443))
    attempt('connect allowed.test:9999 by name', lambda: connect('allowed.test', 9999))
    attempt('create_connection allowed.test:9999', lambda: create('allowed.test', 9999))
    attempt('connect 127.0.0.4:8443 (never looked up)', lambda: connect('127.0.0.4', 8443))
    attempt('getaddrinfo 127.0.0.4 (an address)', lambda: addresses('127.0.0.4', 8443))
    attempt('getaddrinfo 127.4 (an address)', lambda: addresses('127.4', 8443))
    attempt('urlopen http://evil.test:8443/', lambda: urlopen('http://evil.test:8443/'))
    attempt('connect evil.test:8443 by name', lambda: connect('evil.test', 8443))
    attempt('connect_ex evil.test:8443', lambda: connect('evil.test', 8443, ex=True))
    attempt('sendto evil.test:53', lambda: sendto('evil.test', 53))
    attempt('bind evil.test', lambda: bind('evil.test'))
    attempt('asyncio evil.test:8443', lambda: aio('evil.test', 8443))
    attempt('asyncio allowed.test:8443', lambda: aio('allowed.test', 8443))
    attempt('around the wrapper: bypass.test:8443', lambda: around_the_wrapper('bypass.test', 8443))


def audit():
    attempt('getaddrinfo evil.test', lambda: addresses('evil.test', 443))
    attempt('create_connection evil.test:8443', lambda: create('evil.test', 8443))
    attempt('connect evil.test:8443 by name', lambda: connect('evil.test', 8443))
    attempt('create_connection allowed.test:8443', lambda: create('allowed.test', 8443))


def plain():
    # No 'host' entry (or no seatbelt at all): names are not looked at.
    import _socket
    attempt('getaddrinfo evil.test', lambda: addresses('evil.test', 443))
    attempt('getaddrinfo localhost', lambda: addresses('localhost', 443))
    attempt('connect evil.test:8443 by name', lambda: connect('evil.test', 8443))
    attempt('urlopen http://evil.test:8443/', lambda: urlopen('http://evil.test:8443/'))
    attempt('nothing wrapped', lambda: [socket.getaddrinfo.__module__, socket.gethostbyname is _socket.gethostbyname,
                                        type(_socket.getaddrinfo).__name__, 'connect' in socket.socket.__dict__])


attempt('pid', os.getpid)  # the reports' (this process runs under netns.py)
{'enforce': enforce, 'audit': audit, 'plain': plain}[scenario]()
