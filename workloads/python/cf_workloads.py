"""cf_workloads.py -- the three workloads of workloads/*.c, in plain Python.

Each workload gives the same task inputs for a size as its C twin
(workloads/hash.c, prime.c, download.c), and each task returns the same
result bytes, so that digest() of a Python run equals wl_digest() of the C
sequential run: the harness checks that both did identical work.

Tasks never raise: they return (True, result_bytes) or (False, message),
because Executor.map() stops at the first exception while the harness wants
every task's outcome, as the C map iterator gives it. Every task function
is a module-level function so that a process pool can pickle it.
"""

import hashlib
import math
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request

# Each size: (tasks, n, unit) -- `tasks` calls of hash_one(n) at `unit`
# PBKDF2 iterations per step (workloads/hash.c, sizes[]).
HASH_SIZES = {
    "quick": (4, 4, 1000),
    "default": (8, 12, 10000),
    "blog": (20, 20, 10000),
}

# Each size: (first, count, per_task) -- the numbers first .. first+count-1,
# per_task numbers per task (workloads/prime.c, sizes[]).
PRIME_SIZES = {
    "quick": (19000, 1000, 1),
    "default": (1000000000, 10000, 1),
    "blog": (19000, 1000, 1),
}

# Each size: (files, bytes per file) -- the embedded server's pacing is the
# server's business (workloads/download.c, sizes[]).
DOWNLOAD_SIZES = {
    "quick": (4, 16 << 10),
    "default": (16, 128 << 10),
    "blog": (5, 1 << 20),
}

SIZES = ("quick", "default", "blog")
WORKLOADS = ("download", "hash", "prime")

# Longest file name a download accepts, in bytes (DL_NAME_MAX).
NAME_MAX = 255


# ---- hash ---------------------------------------------------------------


def hash_one(n, unit):
    """The blog's hash_one(n): PBKDF2-SHA256 at i*unit iterations for
    i = 1 .. n-1, each 32-byte key folded into one SHA-256 (hash.c)."""
    md = hashlib.sha256()
    for i in range(1, n):
        md.update(hashlib.pbkdf2_hmac("sha256", b"password", b"salt", i * unit, 32))
    return md.digest()


def hash_task(arg):
    n, unit = arg
    try:
        return True, hash_one(n, unit)
    except Exception as e:  # noqa: BLE001 -- a task reports, never raises
        return False, "hash_one: %s" % e


def hash_inputs(size):
    tasks, n, unit = HASH_SIZES[size]
    return [(n, unit)] * tasks


# ---- prime --------------------------------------------------------------


def is_prime(n):
    """The blog's algorithm in pure Python (so it holds the GIL): odd
    divisors up to isqrt(n)."""
    if n < 2:
        return False
    if n == 2:
        return True
    if n % 2 == 0:
        return False
    for d in range(3, math.isqrt(n) + 1, 2):
        if n % d == 0:
            return False
    return True


def prime_task(nums):
    """One result byte per number of the task, 1 for a prime."""
    try:
        return True, bytes(1 if is_prime(n) else 0 for n in nums)
    except Exception as e:  # noqa: BLE001
        return False, "is_prime: %s" % e


def prime_inputs(size):
    first, count, per = PRIME_SIZES[size]
    return [
        tuple(range(first + lo, first + min(lo + per, count)))
        for lo in range(0, count, per)
    ]


# ---- download -----------------------------------------------------------


def _hex_value(c):
    if "0" <= c <= "9":
        return ord(c) - 48
    if "a" <= c <= "f":
        return ord(c) - 87
    if "A" <= c <= "F":
        return ord(c) - 55
    return -1


def file_name(url):
    """The file a URL is saved under, by the rules of dl_file_name(): the
    last path segment, query and fragment stripped, percent-decoded
    strictly; refused (ValueError) when empty, '.' or '..', holding a
    slash, backslash or control byte, too long, or without an extension."""
    end = len(url)
    for stop in "?#":
        k = url.find(stop)
        if 0 <= k < end:
            end = k
    s = url[:end]
    scheme = s.find("://")
    path = s
    if scheme >= 0:
        slash = s.find("/", scheme + 3)
        if slash < 0:
            raise ValueError("the URL has no path, so no file name")
        path = s[slash:]
    seg = path[path.rfind("/") + 1:]
    raw = seg.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x25:  # '%'
            hi = _hex_value(chr(raw[i + 1])) if i + 1 < len(raw) else -1
            lo = _hex_value(chr(raw[i + 2])) if i + 2 < len(raw) else -1
            if hi < 0 or lo < 0:
                raise ValueError("bad percent-escape in the file name")
            c = hi * 16 + lo
            i += 2
        if len(out) == NAME_MAX:
            raise ValueError("file name longer than %d bytes" % NAME_MAX)
        if c == 0:
            raise ValueError("file name holds a NUL byte")
        if c in (0x2F, 0x5C):
            raise ValueError("file name holds a slash or backslash")
        if c < 0x20 or c == 0x7F:
            raise ValueError("file name holds a control character")
        out.append(c)
        i += 1
    name = bytes(out)
    if not name:
        raise ValueError("empty file name")
    if name in (b".", b".."):
        raise ValueError("file name '%s' is not a file" % name.decode("utf-8", "replace"))
    dot = name.rfind(b".")
    if dot <= 0 or dot == len(name) - 1:
        raise ValueError("URL does not contain an extension")
    return os.fsdecode(name)


# The only schemes fetched, directly or through a redirect, as download_transfer.c's
# CURLOPT_PROTOCOLS_STR and CURLOPT_REDIR_PROTOCOLS_STR allow.
SCHEMES = ("http", "https")


def check_scheme(url):
    """Raises OSError, worded as download_transfer.c's curl error, unless url is
    http or https."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise OSError('Protocol "%s" not supported (http and https only)' % scheme)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to http or https: urllib's own handler
    follows one to ftp, and answers one to file: with an HTTPError. The
    check comes before the base class looks at the Location at all."""

    def http_error_302(self, req, fp, code, msg, headers):
        to = headers.get("location") or headers.get("uri")
        if to is not None:
            try:
                check_scheme(urllib.parse.urljoin(req.full_url, to))
            except OSError as e:
                fp.close()
                # The target last: a cut message still says why.
                raise OSError("%s, in a redirect to %.100s" % (e, to)) from None
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


# Only the http(s) handlers, with no proxy from the environment (loopback
# traffic must not go through one): no ftp, file or data handler to reach.
_opener = urllib.request.OpenerDirector()
for _h in (urllib.request.ProxyHandler({}), urllib.request.UnknownHandler(),
           urllib.request.HTTPHandler(), urllib.request.HTTPDefaultErrorHandler(),
           _HttpOnlyRedirects(), urllib.request.HTTPErrorProcessor()):
    _opener.add_handler(_h)
if hasattr(urllib.request, "HTTPSHandler"):  # absent from a Python without ssl
    _opener.add_handler(urllib.request.HTTPSHandler())


def _stall_seconds():
    """download_transfer.c's stall limit (CFBENCH_DL_STALL_S, default 10 s): here the
    socket timeout, which fails a transfer that receives nothing for so
    long."""
    try:
        v = int(os.environ.get("CFBENCH_DL_STALL_S", ""), 10)
    except ValueError:
        return 10
    return v if 1 <= v <= 86400 else 10


def download_one(url, folder):
    """Fetches url (http or https, redirects too) into folder/NAME through
    a hidden temporary file that is renamed into place only when the whole
    body arrived; returns the SHA-256 of the body followed by its size as a
    big-endian uint64."""
    check_scheme(url)
    name = file_name(url)
    fd, tmp = tempfile.mkstemp(prefix=".cfdl-", dir=folder)
    try:
        md = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as f:
            fd = -1
            os.fchmod(f.fileno(), 0o644)
            req = urllib.request.Request(url, headers={"User-Agent": "cfbench-download-py/1"})
            try:
                resp = _opener.open(req, timeout=_stall_seconds())
            except urllib.error.HTTPError as e:
                raise OSError("%.100s: HTTP %d" % (url, e.code)) from None
            with resp:
                want = resp.headers.get("Content-Length")
                while True:
                    chunk = resp.read(65536)
                    if not chunk:
                        break
                    md.update(chunk)
                    f.write(chunk)
                    size += len(chunk)
            if want is not None and int(want) != size:
                raise OSError("%.100s: got %d of %s bytes" % (url, size, want))
        os.rename(tmp, os.path.join(folder, name))
        tmp = None
        return md.digest() + size.to_bytes(8, "big")
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def download_task(arg):
    url, folder = arg
    try:
        return True, download_one(url, folder)
    except Exception as e:  # noqa: BLE001
        msg = str(e) or type(e).__name__
        return False, msg if url[:100] in msg else "%.100s: %s" % (url, msg)


def download_inputs(size, base_url=None, urls=None, folder="downloads"):
    """The task inputs: (url, folder) per file. Given urls, those; else the
    embedded server's generated files under base_url, named and sized as
    download.c's prepare() names them."""
    os.makedirs(folder, exist_ok=True)
    if urls is not None:
        return [(u, folder) for u in urls]
    if not base_url:
        raise ValueError("download needs --base-url or --urls-file")
    base = base_url.rstrip("/")
    files, nbytes = DOWNLOAD_SIZES[size]
    return [
        ("%s/files/doc-%02d.pdf?size=%d" % (base, i, nbytes), folder)
        for i in range(files)
    ]


# ---- shared -------------------------------------------------------------

TASKS = {"download": download_task, "hash": hash_task, "prime": prime_task}


def inputs(workload, size, base_url=None, urls=None, folder="downloads"):
    if workload == "hash":
        return hash_inputs(size)
    if workload == "prime":
        return prime_inputs(size)
    return download_inputs(size, base_url, urls, folder)


def digest(results):
    """wl_digest() of workloads/workload.c: SHA-256 over, per task in
    order, its index (le64), 1 if it succeeded else 0, the result length
    (le64, 0 for a failure) and the result bytes; as 64 hex digits."""
    md = hashlib.sha256()
    for i, (ok, data) in enumerate(results):
        body = data if ok else b""
        md.update(i.to_bytes(8, "little") + bytes((1 if ok else 0,)) + len(body).to_bytes(8, "little"))
        md.update(body)
    return md.hexdigest()
