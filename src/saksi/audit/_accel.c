/* saksi.audit._accel: one-pass recognisers for the verifier's two per-entry formats.
 *
 * The Python code in saksi/audit/envelope.py and saksi/audit/sheet.py is the reference.
 * Each function here recognises only the canonical bytes the Python path accepts and
 * returns exactly what the Python path returns for them; for anything else -- including
 * valid input it does not bother with -- it returns None, and the caller takes the Python
 * path, which either accepts with the same result or names the error.  So this module
 * can make the verifier faster but never changes a verdict, and the package works
 * without it (no compiler at install time).  tests/audit/test_accel_*.py compare the two
 * on generated and mutated input.
 *
 *   envelope(raw: bytes, types: tuple[str, ...]) -> (type, payload, keyid, sig) | None
 *       A DSSE envelope with exactly one signature, in its canonical spelling
 *       (docs/envelope-format.md):
 *         {"payload":"<b64>","payloadType":"<T>","signatures":[{"keyid":"<hex>","sig":"<b64>"}]}
 *       base64 standard, padded, zero pad bits (decoded 32 characters at a time with AVX2
 *       where the CPU has it, checked when the module loads); T one of ``types`` (the caller's
 *       list, returned as the very str object); keyid 64 lowercase hex; sig 64 bytes.
 *       The size limit (MAX_ENVELOPE) is the caller's: it refuses before asking.
 *
 *   configure(facts, schema, tickets, candidates, parties) -> None
 *       Once, from sheet.py: the Facts named-tuple class the results are built as, the
 *       schema string, and the contests whose section IV list is "tickets",
 *       "candidates" and "parties" (each a tuple of str).
 *
 *   sheet(payload: bytes) -> Facts | None
 *       A canonical C.Hasil sheet (docs/sheet-format.md §2; sheet.Sheet) reduced to
 *       flat facts, the same tuple sheet.facts_of computes from a decoded sheet:
 *         0 tps           str
 *         1 contest       str (the configured object)
 *         2 revision      int
 *         3 reason        str | None
 *         4 figures       tuple of 25 ints in the order of the canonical bytes:
 *                         ballots 1 2 3 4; disabled J L P; totals A B C;
 *                         voters A J L P, B1 J L P, B2 J L P, B3 J L P, B4 J L P
 *         5 layout        bytes, uint16 little-endian: the ballot numbers in sheet order;
 *                         ppwp and dpd the tickets' or candidates' numbers, party
 *                         contests the number of parties, the parties' numbers, their
 *                         lists' lengths, then every candidate's number party by party
 *         6 votes         bytes, uint64 little-endian, what sheet.pack writes: voters A.J,
 *                         B4.J, totals A B C, then the votes per choice (a party's total),
 *                         the party-only votes and the candidates' votes, party by party
 *         7 choices_sum   int, the sum of the votes per choice
 *         8 top           int, the largest vote figure the CH-VOTES-LE-CAP rule compares
 *         9 broken        bool, some party total is not its party-only plus candidate votes
 *       Strings are accepted only as printable ASCII without '"' and '\\' (then they
 *       need no escape and are in NFC: the canonical spelling is the bytes themselves);
 *       a sheet with any other string goes to the Python path.  List order is not
 *       checked: the layout is compared with the ballot's, which is in canonical order.
 *
 *   use_sodium(address: int) -> None
 *   verify(signature: bytes, head: bytes, payload: bytes, public: bytes) -> int
 *       Ed25519 with libsodium's crypto_sign_verify_detached, whose address in the
 *       library PyNaCl loaded the caller passes once: 1 if the 64-byte signature
 *       verifies over head + payload under the 32-byte key, else 0 (a signature or key
 *       of another length included, as ed25519.verify_pynacl refuses them).  The
 *       same function PyNaCl runs, without its per-call buffers and copies.
 *
 *   verify_pae(signature: bytes, payload_type: str, payload: bytes, public: bytes) -> int
 *       verify() over the PAE "DSSEv1 <len(type)> <type> <len(payload)> " + payload
 *       (envelope.pae), assembled in the same buffer.
 *
 *   entry(raw: bytes, types, keys: dict[str, str], sheet_type: str)
 *           -> (type, payload, keyid, sig, verdict, facts) | None
 *       The verifier's one call per entry: envelope()'s four parts; for a sheet (type is
 *       the very object sheet_type) also verify_pae()'s verdict under keys[keyid] (a hex
 *       public key; -1 where keys has no exactly-64-hex-digit key for keyid or there is
 *       no libsodium, and the caller decides) and sheet()'s facts (None where sheet()
 *       gives None). Other types: -1 and None (a control document may name the key that
 *       signs it: the caller orders that).
 *
 *   use_sha256(address: int) -> None
 *   leaves(data: bytes, count: int) -> (entries: list[bytes], hashes: bytes) | None
 *       An entry bundle (count entries, each a big-endian uint16 length and its bytes,
 *       nothing after the last) split, and the RFC 6962 leaf hashes SHA-256(0x00 || e)
 *       of its entries concatenated, with OpenSSL's one-shot SHA256() whose address in
 *       the library hashlib loaded the caller passes once (leaves.py checks it against
 *       hashlib first). None for a bundle that is not exactly that: tlog.split_bundle
 *       names the fault.
 *
 *   perfect_root(hashes: bytes) -> bytes | None
 *       The root of the perfect tree over concatenated 32-byte hashes, a node being
 *       SHA-256(0x01 || left || right) (tlog.perfect_root); None unless the count is a
 *       power of two.
 *
 *   add_lanes(acc: bytearray, lanes: bytes, subtract: bool) -> None
 *       acc += lanes (or -= lanes) as little-endian uint64 lanes (sheet.pack's form),
 *       acc first grown with zero lanes to the length of lanes: the desa sums of the
 *       tally, kept in place (sheet.add_lanes is the reference).
 *
 * Not the limited API: building the named tuple in place (tp_alloc, PyTuple_SET_ITEM)
 * and writing strings and bytes directly are what make this cheap.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

/* limits of sheet.py and docs/sheet-format.md */
#define MAX_SHEET 65536
#define MAX_COUNT 1000000000u
#define MIN_NUMBER 1u
#define MAX_NUMBER 999u
#define MAX_LIST 100
#define MAX_REASON 500
#define N_FIGURES 25
#define N_FACTS 10
/* the shortest list entry, {"number":1,"votes":0}, is 22 bytes: no sheet within
   MAX_SHEET holds more entries than this (the parser checks it anyway) */
#define MAX_ENTRIES (MAX_SHEET / 22)

/* ------------------------------------------------------------------ cursor */
typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} Cur;

static inline int
lit(Cur *c, const char *s, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0) {
        return 0;
    }
    c->p += n;
    return 1;
}
#define LIT(c, s) lit((c), (s), sizeof(s) - 1)

static inline int
is_digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}

/* A canonical decimal integer in [lo, hi]: "0", or a non-zero digit and at most nine
   more; no sign, fraction or exponent (the literal after it refuses '.', 'e'). */
static inline int
integer(Cur *c, uint32_t lo, uint32_t hi, uint32_t *out)
{
    const unsigned char *p = c->p;
    const unsigned char *end = c->end;
    if (p == end || !is_digit(*p)) {
        return 0;
    }
    uint64_t v = (uint64_t)(*p++ - '0');
    int digits = 1;
    while (p < end && is_digit(*p)) {
        if (v == 0 || ++digits > 10) {
            return 0; /* a leading zero, or above any limit */
        }
        v = v * 10 + (uint64_t)(*p++ - '0');
    }
    if (v < lo || v > hi) {
        return 0;
    }
    *out = (uint32_t)v;
    c->p = p;
    return 1;
}

static inline int
count(Cur *c, uint32_t *out)
{
    return integer(c, 0, MAX_COUNT, out);
}

/* The rest of a string whose opening quote is already read, closing quote included:
   printable ASCII other than '"' and '\\' only. */
static inline int
string(Cur *c, const unsigned char **s, Py_ssize_t *n)
{
    const unsigned char *p = c->p;
    while (p < c->end && *p != '"') {
        if (*p < 0x20 || *p > 0x7e || *p == '\\') {
            return 0;
        }
        p++;
    }
    if (p == c->end) {
        return 0;
    }
    *s = c->p;
    *n = p - c->p;
    c->p = p + 1;
    return 1;
}

static int
is_hex64(const unsigned char *s, Py_ssize_t n)
{
    if (n != 64) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) {
            return 0;
        }
    }
    return 1;
}

/* sheet.TPS_RE: 13 ASCII digits, or "99" and 11 of [0-9A-Z] */
static int
is_tps(const unsigned char *s, Py_ssize_t n)
{
    if (n != 13) {
        return 0;
    }
    int overseas = s[0] == '9' && s[1] == '9';
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!is_digit(s[i]) && !(overseas && s[i] >= 'A' && s[i] <= 'Z')) {
            return 0;
        }
    }
    return 1;
}

static PyObject *
ascii_str(const unsigned char *s, Py_ssize_t n)
{
    PyObject *out = PyUnicode_New(n, 127);
    if (out != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(out), s, (size_t)n);
    }
    return out;
}

static inline void
put_u16(unsigned char *out, uint32_t v)
{
    out[0] = (unsigned char)v;
    out[1] = (unsigned char)(v >> 8);
}

static inline void
put_u64(unsigned char *out, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        out[i] = (unsigned char)(v >> (8 * i));
    }
}

/* ------------------------------------------------------------------ base64 */
/* b64[k][c]: the 6 bits of character c at position k of a group, already shifted into
   place in the group's 24 bits; B64_BAD (above 24 bits) for a character outside the
   standard alphabet, '=' included (padding is read apart) */
#define B64_BAD 0xff000000u
static uint32_t b64[4][256];

static void
b64_init(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int k = 0; k < 4; k++) {
        for (int ch = 0; ch < 256; ch++) {
            b64[k][ch] = B64_BAD;
        }
        for (uint32_t i = 0; i < 64; i++) {
            b64[k][(unsigned char)alphabet[i]] = i << (18 - 6 * k);
        }
    }
}

/* The length padded base64 s[0..n) decodes to, or -1 if n is not a multiple of 4. */
static Py_ssize_t
b64_size(const unsigned char *s, Py_ssize_t n)
{
    if (n % 4 != 0) {
        return -1;
    }
    if (n == 0) {
        return 0;
    }
    Py_ssize_t pad = s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
    return n / 4 * 3 - pad;
}


/* AVX2: 32 characters at a time, by the method of Muła and Lemire ("Faster Base64
   Encoding and Decoding using AVX2 Instructions", ACM TWEB 2018), with the tables
   derived here for the standard alphabet:
     - validity: a character is refused when lo[its low nibble] & hi[its high nibble]
       is not zero. hi gives each high nibble a class bit (2: '+' '/'; 3: digits;
       4, 6: letters from 'A' / 'a'; 5, 7: letters to 'Z' / 'z'; every other high
       nibble, bytes past 0x7f included, bit 0x10), lo sets for each low nibble the
       bits of the classes that do not reach it (bit 0x10 always).
     - value: the character plus roll[high nibble, minus one for '/'].
   Then each 4 values become 3 bytes (multiply-adds, a shuffle per lane and a permute).
   It decodes whole 32-character blocks while 16 characters are left behind the block:
   the 32-byte store of 24 bytes then stays inside the output. Returns the number of
   characters decoded, or -1 if one of them is not in the alphabet ('=' included). */
#if defined(__x86_64__) && defined(__GNUC__)
#define SAKSI_AVX2 1
#include <immintrin.h>
static int has_avx2;

__attribute__((target("avx2")))
static Py_ssize_t
b64_decode_avx2(const unsigned char *s, Py_ssize_t n, unsigned char *out)
{
    const __m256i lut_lo = _mm256_setr_epi8(
        0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
        0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a,
        0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
        0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
    const __m256i lut_hi = _mm256_setr_epi8(
        0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
        0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
        0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
        0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
    const __m256i lut_roll = _mm256_setr_epi8(
        0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    const __m256i slash = _mm256_set1_epi8('/');
    const __m256i pair = _mm256_set1_epi32(0x01400140);   /* a*64 + b, c*64 + d */
    const __m256i quad = _mm256_set1_epi32(0x00011000);   /* ab*4096 + cd */
    const __m256i order = _mm256_setr_epi8(
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
    __m256i bad = _mm256_setzero_si256();
    Py_ssize_t i = 0;
    for (; i + 32 + 16 <= n; i += 32) {
        __m256i in = _mm256_loadu_si256((const __m256i *)(s + i));
        __m256i hi = _mm256_and_si256(_mm256_srli_epi32(in, 4), nibble);
        __m256i lo = _mm256_and_si256(in, nibble);
        bad = _mm256_or_si256(bad, _mm256_and_si256(_mm256_shuffle_epi8(lut_lo, lo),
                                                     _mm256_shuffle_epi8(lut_hi, hi)));
        __m256i roll = _mm256_shuffle_epi8(
            lut_roll, _mm256_add_epi8(_mm256_cmpeq_epi8(in, slash), hi));
        __m256i v = _mm256_add_epi8(in, roll);
        v = _mm256_madd_epi16(_mm256_maddubs_epi16(v, pair), quad);
        v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, order), lanes);
        _mm256_storeu_si256((__m256i *)(out + i / 4 * 3), v);
    }
    return _mm256_testz_si256(bad, bad) ? i : -1;
}
#else
#define SAKSI_AVX2 0
#endif

/* Decode s[0..n) (n a positive multiple of 4) into out, b64_size(s, n) bytes; 0 unless
   every character is in the alphabet, '=' only as the last one or two, and the pad bits
   are zero (RFC 4648 §3.5: the one canonical spelling). */
static int
b64_decode(const unsigned char *s, Py_ssize_t n, unsigned char *out)
{
    uint32_t bad = 0;
    const unsigned char *last = s + n - 4;
#if SAKSI_AVX2
    if (has_avx2) {
        Py_ssize_t done = b64_decode_avx2(s, n, out);
        if (done < 0) {
            return 0;
        }
        /* the rest, from the first group the vector loop left */
        s += done;
        out += done / 4 * 3;
    }
#endif
    for (; s < last; s += 4, out += 3) {
        uint32_t v = b64[0][s[0]] | b64[1][s[1]] | b64[2][s[2]] | b64[3][s[3]];
        bad |= v;
        out[0] = (unsigned char)(v >> 16);
        out[1] = (unsigned char)(v >> 8);
        out[2] = (unsigned char)v;
    }
    if (s[3] != '=') {
        uint32_t v = b64[0][s[0]] | b64[1][s[1]] | b64[2][s[2]] | b64[3][s[3]];
        bad |= v;
        out[0] = (unsigned char)(v >> 16);
        out[1] = (unsigned char)(v >> 8);
        out[2] = (unsigned char)v;
    }
    else if (s[2] != '=') {
        uint32_t v = b64[0][s[0]] | b64[1][s[1]] | b64[2][s[2]];
        bad |= v | (v & 0xffu ? B64_BAD : 0); /* two pad bits */
        out[0] = (unsigned char)(v >> 16);
        out[1] = (unsigned char)(v >> 8);
    }
    else {
        uint32_t v = b64[0][s[0]] | b64[1][s[1]];
        bad |= v | (v & 0xffffu ? B64_BAD : 0); /* four pad bits */
        out[0] = (unsigned char)(v >> 16);
    }
    return (bad & B64_BAD) == 0;
}

/* bytes of canonical base64 s[0..n) with exactly ``want`` bytes (-1: any), or NULL
   without an exception set when s is not that */
static PyObject *
b64_bytes(const unsigned char *s, Py_ssize_t n, Py_ssize_t want)
{
    Py_ssize_t size = b64_size(s, n);
    if (size < 0 || (want >= 0 && size != want)) {
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) {
        return NULL;
    }
    if (n > 0 && !b64_decode(s, n, (unsigned char *)PyBytes_AS_STRING(out))) {
        Py_DECREF(out);
        return NULL;
    }
    return out;
}

/* ------------------------------------------------------------------ envelope */
/* The four parts of a canonical one-signature envelope as new references in out[0..4)
   (type, payload, keyid, sig): 1; 0 for anything else; -1 with an exception set. */
static int
read_envelope(PyObject *raw, PyObject *types, PyObject **out)
{
    if (!PyBytes_Check(raw)) {
        return 0;
    }
    Cur c = {(const unsigned char *)PyBytes_AS_STRING(raw), NULL};
    c.end = c.p + PyBytes_GET_SIZE(raw);

    if (!LIT(&c, "{\"payload\":\"")) {
        return 0;
    }
    /* base64 holds no quote: the first one ends the payload */
    const unsigned char *payload = c.p;
    const unsigned char *q = memchr(c.p, '"', (size_t)(c.end - c.p));
    if (q == NULL) {
        return 0;
    }
    c.p = q;
    if (!LIT(&c, "\",\"payloadType\":\"")) {
        return 0;
    }
    const unsigned char *type;
    Py_ssize_t type_len;
    if (!string(&c, &type, &type_len)) {
        return 0;
    }
    PyObject *found = NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(types); i++) {
        PyObject *t = PyTuple_GET_ITEM(types, i);
        Py_ssize_t len;
        const char *name = PyUnicode_Check(t) ? PyUnicode_AsUTF8AndSize(t, &len) : NULL;
        if (name == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "payload types must be str");
            }
            return -1;
        }
        if (len == type_len && memcmp(name, type, (size_t)len) == 0) {
            found = t;
            break;
        }
    }
    if (found == NULL || !LIT(&c, ",\"signatures\":[{\"keyid\":\"")) {
        return 0;
    }
    const unsigned char *keyid = c.p;
    if (c.end - c.p < 64 || !is_hex64(keyid, 64)) {
        return 0;
    }
    c.p += 64;
    if (!LIT(&c, "\",\"sig\":\"") || c.end - c.p < 88) {
        return 0;
    }
    const unsigned char *sig = c.p;
    c.p += 88;
    if (!LIT(&c, "\"}]}") || c.p != c.end) {
        return 0;
    }

    PyObject *sig_bytes = b64_bytes(sig, 88, 64);
    if (sig_bytes == NULL) {
        if (PyErr_Occurred()) {
            return -1;
        }
        return 0;
    }
    PyObject *payload_bytes = b64_bytes(payload, q - payload, -1);
    if (payload_bytes == NULL) {
        Py_DECREF(sig_bytes);
        if (PyErr_Occurred()) {
            return -1;
        }
        return 0;
    }
    PyObject *keyid_str = ascii_str(keyid, 64);
    if (keyid_str == NULL) {
        Py_DECREF(sig_bytes);
        Py_DECREF(payload_bytes);
        return -1;
    }
    Py_INCREF(found);
    out[0] = found;
    out[1] = payload_bytes;
    out[2] = keyid_str;
    out[3] = sig_bytes;
    return 1;
}

static PyObject *
envelope(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "envelope(raw: bytes, types: tuple[str, ...])");
        return NULL;
    }
    PyObject *parts[4];
    int got = read_envelope(args[0], args[1], parts);
    if (got <= 0) {
        if (got < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    PyObject *out = PyTuple_New(4);
    if (out == NULL) {
        for (int i = 0; i < 4; i++) {
            Py_DECREF(parts[i]);
        }
        return NULL;
    }
    for (int i = 0; i < 4; i++) {
        PyTuple_SET_ITEM(out, i, parts[i]);
    }
    return out;
}

/* ------------------------------------------------------------------ sheet */
enum { KIND_TICKETS, KIND_CANDIDATES, KIND_PARTIES, N_KINDS };
#define MAX_CONTESTS 16

/* set once by configure() (single-phase module: one copy per process) */
static PyTypeObject *facts_type;
static PyObject *schema;
static PyObject *contests[MAX_CONTESTS];
static int contest_kind[MAX_CONTESTS];
static int n_contests;

static PyObject *
configure(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *facts, *schema_arg, *lists[N_KINDS];
    if (!PyArg_ParseTuple(args, "O!UO!O!O!:configure", &PyType_Type, &facts, &schema_arg,
                          &PyTuple_Type, &lists[KIND_TICKETS], &PyTuple_Type,
                          &lists[KIND_CANDIDATES], &PyTuple_Type, &lists[KIND_PARTIES])) {
        return NULL;
    }
    PyTypeObject *type = (PyTypeObject *)facts;
    /* results are built as tuples of this type in place: it must be a plain tuple
       subclass (a NamedTuple: no instance dict, no extra slots) */
    if (!PyType_IsSubtype(type, &PyTuple_Type)
        || type->tp_basicsize != PyTuple_Type.tp_basicsize
        || type->tp_itemsize != PyTuple_Type.tp_itemsize) {
        PyErr_SetString(PyExc_TypeError, "facts must be a NamedTuple class");
        return NULL;
    }
    PyObject *fields = PyObject_GetAttrString(facts, "_fields");
    if (fields == NULL) {
        return NULL;
    }
    Py_ssize_t n_fields = PyObject_Length(fields);
    Py_DECREF(fields);
    if (n_fields != N_FACTS) {
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError, "facts must have %d fields", N_FACTS);
        }
        return NULL;
    }
    int n = 0;
    for (int k = 0; k < N_KINDS; k++) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(lists[k]); i++) {
            PyObject *name = PyTuple_GET_ITEM(lists[k], i);
            if (!PyUnicode_Check(name) || n == MAX_CONTESTS) {
                PyErr_SetString(PyExc_TypeError, "contests: a few str per list");
                return NULL;
            }
            n++;
        }
    }
    for (int i = 0; i < n_contests; i++) {
        Py_CLEAR(contests[i]);
    }
    n_contests = 0;
    for (int k = 0; k < N_KINDS; k++) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(lists[k]); i++) {
            PyObject *name = PyTuple_GET_ITEM(lists[k], i);
            Py_INCREF(name);
            contests[n_contests] = name;
            contest_kind[n_contests++] = k;
        }
    }
    Py_INCREF(facts);
    Py_XSETREF(facts_type, type);
    Py_INCREF(schema_arg);
    Py_XSETREF(schema, schema_arg);
    Py_RETURN_NONE;
}

static int
str_is(PyObject *str, const unsigned char *s, Py_ssize_t n)
{
    /* configured strings are ASCII (they matched printable bytes or never match) */
    return PyUnicode_IS_ASCII(str) && PyUnicode_GET_LENGTH(str) == n
           && memcmp(PyUnicode_1BYTE_DATA(str), s, (size_t)n) == 0;
}

/* What one pass over a sheet collects. */
typedef struct {
    const unsigned char *tps, *reason;
    Py_ssize_t tps_len, reason_len;
    PyObject *contest;
    uint32_t revision;
    uint32_t figures[N_FIGURES];
    int party;
    int n_choices, n_words, n_cands;
    uint16_t words[MAX_ENTRIES]; /* the entries' numbers (party contests: the candidates') */
    uint16_t numbers[MAX_LIST], sizes[MAX_LIST]; /* party contests: parties, list lengths */
    uint32_t choices[MAX_LIST], party_only[MAX_LIST], cands[MAX_ENTRIES];
    uint64_t choices_sum;
    uint32_t top;
    int broken;
} Parsed;

static int
lpj(Cur *c, uint32_t *f)
{
    return LIT(c, "{\"J\":") && count(c, &f[0]) && LIT(c, ",\"L\":") && count(c, &f[1])
           && LIT(c, ",\"P\":") && count(c, &f[2]) && LIT(c, "}");
}

/* {"number":N,"votes":C}, its number appended to the layout */
static int
entry(Cur *c, Parsed *s, uint32_t *votes)
{
    uint32_t number;
    if (s->n_words == MAX_ENTRIES || !LIT(c, "{\"number\":")
        || !integer(c, MIN_NUMBER, MAX_NUMBER, &number) || !LIT(c, ",\"votes\":")
        || !count(c, votes) || !LIT(c, "}")) {
        return 0;
    }
    s->words[s->n_words++] = (uint16_t)number;
    return 1;
}

/* the non-empty tickets or candidates list after its '[' */
static int
entries(Cur *c, Parsed *s)
{
    do {
        uint32_t votes;
        if (s->n_choices == MAX_LIST || !entry(c, s, &votes)) {
            return 0;
        }
        s->choices[s->n_choices++] = votes;
        s->choices_sum += votes;
        if (votes > s->top) {
            s->top = votes;
        }
    } while (LIT(c, ","));
    return LIT(c, "]");
}

/* the non-empty parties list after its '[' */
static int
parties(Cur *c, Parsed *s)
{
    uint32_t top_choice = 0, top_part = 0;
    do {
        if (s->n_choices == MAX_LIST || !LIT(c, "{\"candidates\":[")) {
            return 0;
        }
        uint32_t n = 0;
        uint64_t sum = 0;
        if (!LIT(c, "]")) {
            do {
                uint32_t votes;
                if (n == MAX_LIST || s->n_cands == MAX_ENTRIES || !entry(c, s, &votes)) {
                    return 0;
                }
                s->cands[s->n_cands++] = votes;
                sum += votes;
                n++;
                if (votes > top_part) {
                    top_part = votes;
                }
            } while (LIT(c, ","));
            if (!LIT(c, "]")) {
                return 0;
            }
        }
        uint32_t number, alone, total;
        if (!LIT(c, ",\"number\":") || !integer(c, MIN_NUMBER, MAX_NUMBER, &number)
            || !LIT(c, ",\"party_votes\":") || !count(c, &alone)
            || !LIT(c, ",\"total\":") || !count(c, &total) || !LIT(c, "}")) {
            return 0;
        }
        s->numbers[s->n_choices] = (uint16_t)number;
        s->sizes[s->n_choices] = (uint16_t)n;
        s->party_only[s->n_choices] = alone;
        s->choices[s->n_choices++] = total;
        s->choices_sum += total;
        if (total > top_choice) {
            top_choice = total;
        }
        if (alone > top_part) {
            top_part = alone;
        }
        if (sum + alone != total) {
            s->broken = 1;
        }
    } while (LIT(c, ","));
    /* where every total is its parts' sum no part exceeds it: only a broken sheet
       needs the parts in the maximum (sheet.facts_of) */
    s->top = s->broken && top_part > top_choice ? top_part : top_choice;
    return LIT(c, "]");
}

/* 1 when c holds a canonical sheet (order of the lists aside), read into s */
static int
parse_sheet(Cur *c, Parsed *s)
{
    uint32_t *f = s->figures;
    const unsigned char *str;
    Py_ssize_t len;
    if (!(LIT(c, "{\"ballots\":{\"1\":") && count(c, &f[0]) && LIT(c, ",\"2\":")
          && count(c, &f[1]) && LIT(c, ",\"3\":") && count(c, &f[2]) && LIT(c, ",\"4\":")
          && count(c, &f[3]) && LIT(c, "},\"contest\":\"") && string(c, &str, &len))) {
        return 0;
    }
    int kind = -1;
    for (int i = 0; i < n_contests; i++) {
        if (str_is(contests[i], str, len)) {
            s->contest = contests[i];
            kind = contest_kind[i];
            break;
        }
    }
    if (kind < 0
        || !(LIT(c, ",\"disabled\":{\"J\":") && count(c, &f[4]) && LIT(c, ",\"L\":")
             && count(c, &f[5]) && LIT(c, ",\"P\":") && count(c, &f[6]) && LIT(c, "},\""))) {
        return 0;
    }
    if (LIT(c, "photo_sha256\":\"")
        && !(string(c, &str, &len) && is_hex64(str, len) && LIT(c, ",\""))) {
        return 0;
    }
    if (LIT(c, "reason\":\"")) {
        if (!(string(c, &s->reason, &s->reason_len) && s->reason_len <= MAX_REASON
              && LIT(c, ",\""))) {
            return 0;
        }
    }
    if (!(LIT(c, "revision\":") && integer(c, 1, MAX_COUNT, &s->revision)
          && LIT(c, ",\"schema\":\"") && string(c, &str, &len) && str_is(schema, str, len)
          && LIT(c, ",\"totals\":{\"A\":") && count(c, &f[7]) && LIT(c, ",\"B\":")
          && count(c, &f[8]) && LIT(c, ",\"C\":") && count(c, &f[9])
          && LIT(c, "},\"tps\":\"") && string(c, &s->tps, &s->tps_len)
          && is_tps(s->tps, s->tps_len) && LIT(c, ",\"voters\":{\"A\":") && lpj(c, &f[10])
          && LIT(c, ",\"B1\":") && lpj(c, &f[13]) && LIT(c, ",\"B2\":") && lpj(c, &f[16])
          && LIT(c, ",\"B3\":") && lpj(c, &f[19]) && LIT(c, ",\"B4\":") && lpj(c, &f[22])
          && LIT(c, "},\"votes\":{"))) {
        return 0;
    }
    /* only the contest's own list, and only when it is not empty */
    s->party = kind == KIND_PARTIES;
    if (!LIT(c, "}")) {
        int ok;
        switch (kind) {
        case KIND_TICKETS:
            ok = LIT(c, "\"tickets\":[") && entries(c, s);
            break;
        case KIND_CANDIDATES:
            ok = LIT(c, "\"candidates\":[") && entries(c, s);
            break;
        default:
            ok = LIT(c, "\"parties\":[") && parties(c, s);
            break;
        }
        if (!ok || !LIT(c, "}")) {
            return 0;
        }
    }
    return LIT(c, "}") && c->p == c->end;
}

static PyObject *
build_facts(const Parsed *s)
{
    PyObject *out = facts_type->tp_alloc(facts_type, N_FACTS);
    if (out == NULL) {
        return NULL;
    }
    PyObject *figures = PyTuple_New(N_FIGURES);
    if (figures == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    PyTuple_SET_ITEM(out, 4, figures);
    for (int i = 0; i < N_FIGURES; i++) {
        PyObject *v = PyLong_FromUnsignedLong(s->figures[i]);
        if (v == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(figures, i, v);
    }
    Py_ssize_t n_layout = s->n_words + (s->party ? 1 + 2 * s->n_choices : 0);
    PyObject *layout = PyBytes_FromStringAndSize(NULL, 2 * n_layout);
    if (layout == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    PyTuple_SET_ITEM(out, 5, layout);
    unsigned char *w = (unsigned char *)PyBytes_AS_STRING(layout);
    if (s->party) {
        put_u16(w, (uint32_t)s->n_choices);
        w += 2;
        for (int i = 0; i < s->n_choices; i++, w += 2) {
            put_u16(w, s->numbers[i]);
        }
        for (int i = 0; i < s->n_choices; i++, w += 2) {
            put_u16(w, s->sizes[i]);
        }
    }
    for (int i = 0; i < s->n_words; i++, w += 2) {
        put_u16(w, s->words[i]);
    }
    Py_ssize_t n_votes = 5 + s->n_choices + (s->party ? s->n_choices + s->n_cands : 0);
    PyObject *votes = PyBytes_FromStringAndSize(NULL, 8 * n_votes);
    if (votes == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    PyTuple_SET_ITEM(out, 6, votes);
    unsigned char *v = (unsigned char *)PyBytes_AS_STRING(votes);
    const uint32_t *f = s->figures;
    const uint32_t head[5] = {f[10], f[22], f[7], f[8], f[9]}; /* A.J, B4.J, totals */
    for (int i = 0; i < 5; i++, v += 8) {
        put_u64(v, head[i]);
    }
    for (int i = 0; i < s->n_choices; i++, v += 8) {
        put_u64(v, s->choices[i]);
    }
    if (s->party) {
        for (int i = 0; i < s->n_choices; i++, v += 8) {
            put_u64(v, s->party_only[i]);
        }
        for (int i = 0; i < s->n_cands; i++, v += 8) {
            put_u64(v, s->cands[i]);
        }
    }
    PyObject *tps = ascii_str(s->tps, s->tps_len);
    if (tps == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    PyTuple_SET_ITEM(out, 0, tps);
    Py_INCREF(s->contest);
    PyTuple_SET_ITEM(out, 1, s->contest);
    PyObject *item = PyLong_FromUnsignedLong(s->revision);
    if (item == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    PyTuple_SET_ITEM(out, 2, item);
    if (s->reason != NULL) {
        item = ascii_str(s->reason, s->reason_len);
        if (item == NULL) {
            Py_DECREF(out);
            return NULL;
        }
    }
    else {
        item = Py_None;
        Py_INCREF(item);
    }
    PyTuple_SET_ITEM(out, 3, item);
    item = PyLong_FromUnsignedLongLong(s->choices_sum);
    if (item == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    PyTuple_SET_ITEM(out, 7, item);
    item = PyLong_FromUnsignedLong(s->top);
    if (item == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    PyTuple_SET_ITEM(out, 8, item);
    item = PyBool_FromLong(s->broken);
    PyTuple_SET_ITEM(out, 9, item);
    return out;
}

static PyObject *
sheet(PyObject *Py_UNUSED(module), PyObject *payload)
{
    if (facts_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "saksi.audit._accel: configure() first");
        return NULL;
    }
    if (!PyBytes_Check(payload) || PyBytes_GET_SIZE(payload) > MAX_SHEET) {
        Py_RETURN_NONE;
    }
    Cur c = {(const unsigned char *)PyBytes_AS_STRING(payload), NULL};
    c.end = c.p + PyBytes_GET_SIZE(payload);
    Parsed s;
    /* only the scalars: the arrays are written before they are read */
    s.tps = s.reason = NULL;
    s.tps_len = s.reason_len = 0;
    s.contest = NULL;
    s.revision = 0;
    s.party = s.n_choices = s.n_words = s.n_cands = 0;
    s.choices_sum = 0;
    s.top = 0;
    s.broken = 0;
    if (!parse_sheet(&c, &s)) {
        Py_RETURN_NONE;
    }
    return build_facts(&s);
}

/* ------------------------------------------------------------------ Ed25519 */
/* libsodium's crypto_sign_verify_detached, the very function PyNaCl's crypto_sign_open
   runs, found by the caller in the library PyNaCl loaded (use_sodium); called here
   without PyNaCl's per-call buffers and copies. */
typedef int (*verify_fn)(const unsigned char *sig, const unsigned char *m,
                         unsigned long long mlen, const unsigned char *pk);
static verify_fn sodium_verify;
static unsigned char *message;
static size_t message_cap;

static PyObject *
use_sodium(PyObject *Py_UNUSED(module), PyObject *address)
{
    void *fn = PyLong_AsVoidPtr(address);
    if (fn == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "use_sodium: a null address");
        }
        return NULL;
    }
    sodium_verify = (verify_fn)fn;
    Py_RETURN_NONE;
}

/* room for n bytes in the reused message buffer (NULL and MemoryError if not) */
static unsigned char *
message_room(size_t n)
{
    if (n > message_cap) {
        size_t cap = n * 2;
        unsigned char *grown = PyMem_RawRealloc(message, cap);
        if (grown == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        message = grown;
        message_cap = cap;
    }
    return message;
}

/* 1 if the signature verifies over message[0..n) under the key, else 0 (a signature
   of another length than 64 or a key of another than 32 included: as in
   ed25519.verify_pynacl, as libsodium would read a longer key's first 32 bytes) */
static PyObject *
verdict(PyObject *signature, size_t n, PyObject *public)
{
    if (PyBytes_GET_SIZE(signature) != 64 || PyBytes_GET_SIZE(public) != 32) {
        return PyLong_FromLong(0);
    }
    int bad = sodium_verify((const unsigned char *)PyBytes_AS_STRING(signature), message,
                            (unsigned long long)n,
                            (const unsigned char *)PyBytes_AS_STRING(public));
    return PyLong_FromLong(bad == 0 ? 1 : 0);
}

static PyObject *
verify(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyBytes_Check(args[0]) || !PyBytes_Check(args[1])
        || !PyBytes_Check(args[2]) || !PyBytes_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError,
                        "verify(signature: bytes, head: bytes, payload: bytes, public: bytes)");
        return NULL;
    }
    if (sodium_verify == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "saksi.audit._accel: use_sodium() first");
        return NULL;
    }
    size_t head = (size_t)PyBytes_GET_SIZE(args[1]);
    size_t body = (size_t)PyBytes_GET_SIZE(args[2]);
    if (message_room(head + body) == NULL) {
        return NULL;
    }
    memcpy(message, PyBytes_AS_STRING(args[1]), head);
    memcpy(message + head, PyBytes_AS_STRING(args[2]), body);
    return verdict(args[0], head + body, args[3]);
}

/* The PAE "DSSEv1 <len(type)> <type> <len(payload)> " + payload (envelope.pae) written
   in the message buffer: its length, or -1 with MemoryError (or the str's error) set */
static Py_ssize_t
write_pae(PyObject *payload_type, PyObject *payload)
{
    Py_ssize_t type_len;
    const char *type = PyUnicode_AsUTF8AndSize(payload_type, &type_len);
    if (type == NULL) {
        return -1;
    }
    size_t body = (size_t)PyBytes_GET_SIZE(payload);
    /* two decimal lengths of at most 20 digits, four separators, "DSSEv1" */
    if (message_room((size_t)type_len + body + 48) == NULL) {
        return -1;
    }
    int head = snprintf((char *)message, 48, "DSSEv1 %zd ", type_len);
    memcpy(message + head, type, (size_t)type_len);
    head += (int)type_len;
    head += snprintf((char *)message + head, 24, " %zu ", body);
    memcpy(message + head, PyBytes_AS_STRING(payload), body);
    return (Py_ssize_t)((size_t)head + body);
}

/* verify_pae(signature, payload_type: str, payload, public): verify over DSSE's PAE */
static PyObject *
verify_pae(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyBytes_Check(args[0]) || !PyUnicode_Check(args[1])
        || !PyBytes_Check(args[2]) || !PyBytes_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "verify_pae(signature: bytes, payload_type: str, "
                        "payload: bytes, public: bytes)");
        return NULL;
    }
    if (sodium_verify == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "saksi.audit._accel: use_sodium() first");
        return NULL;
    }
    Py_ssize_t n = write_pae(args[1], args[2]);
    if (n < 0) {
        return NULL;
    }
    return verdict(args[0], (size_t)n, args[3]);
}

/* ------------------------------------------------------------------ entry */
static int
hex_digit(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    return -1;
}

/* The 32 bytes of a str of exactly 64 hex digits (either case): 1; 0 for any other
   value (the caller then converts it as scan.key_bytes does) */
static int
key_of_hex(PyObject *value, unsigned char *key)
{
    if (!PyUnicode_Check(value) || !PyUnicode_IS_COMPACT_ASCII(value)
        || PyUnicode_GET_LENGTH(value) != 64) {
        return 0;
    }
    const unsigned char *h = (const unsigned char *)PyUnicode_DATA(value);
    for (int i = 0; i < 32; i++) {
        int hi = hex_digit(h[2 * i]), lo = hex_digit(h[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return 0;
        }
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return 1;
}

/* entry(raw, types, keys, sheet_type) -> (type, payload, keyid, sig, verdict, facts) | None
   envelope()'s four parts; for a sheet (the type is the very object sheet_type) also the
   signature's verdict under keys[keyid] (1 or 0; -1 where keys has no 64-hex-digit key
   for keyid or use_sodium was not called: the caller decides) and sheet()'s facts of the
   payload (None where sheet() gives None). Other types: -1 and None. */
static PyObject *
entry_parts(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyTuple_Check(args[1]) || !PyDict_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "entry(raw: bytes, types: tuple[str, ...], "
                        "keys: dict[str, str], sheet_type: str)");
        return NULL;
    }
    PyObject *parts[4];
    int got = read_envelope(args[0], args[1], parts);
    if (got <= 0) {
        if (got < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    long verdict_value = -1;
    PyObject *facts = Py_None;
    Py_INCREF(facts);
    if (parts[0] == args[3]) {
        PyObject *hex = PyDict_GetItemWithError(args[2], parts[2]);  /* borrowed */
        unsigned char key[32];
        if (hex == NULL && PyErr_Occurred()) {
            goto error;
        }
        if (hex != NULL && sodium_verify != NULL && key_of_hex(hex, key)) {
            Py_ssize_t n = write_pae(parts[0], parts[1]);
            if (n < 0) {
                goto error;
            }
            verdict_value = sodium_verify((const unsigned char *)PyBytes_AS_STRING(parts[3]),
                                          message, (unsigned long long)n, key) == 0;
        }
        if (facts_type != NULL) {
            Py_DECREF(facts);
            facts = sheet(NULL, parts[1]);
            if (facts == NULL) {
                goto error;
            }
        }
    }
    PyObject *out = PyTuple_New(6);
    PyObject *v = PyLong_FromLong(verdict_value);
    if (out == NULL || v == NULL) {
        Py_XDECREF(out);
        Py_XDECREF(v);
        goto error;
    }
    for (int i = 0; i < 4; i++) {
        PyTuple_SET_ITEM(out, i, parts[i]);
    }
    PyTuple_SET_ITEM(out, 4, v);
    PyTuple_SET_ITEM(out, 5, facts);
    return out;

error:
    for (int i = 0; i < 4; i++) {
        Py_DECREF(parts[i]);
    }
    Py_DECREF(facts);
    return NULL;
}

/* ------------------------------------------------------------------ leaves */
/* OpenSSL's one-shot SHA256(), found by the caller in the library hashlib loaded
   (use_sha256): the SHA extensions where the CPU has them, as hashlib itself. */
typedef unsigned char *(*sha256_fn)(const unsigned char *d, size_t n, unsigned char *md);
static sha256_fn sha256;

static PyObject *
use_sha256(PyObject *Py_UNUSED(module), PyObject *address)
{
    void *fn = PyLong_AsVoidPtr(address);
    if (fn == NULL && PyErr_Occurred()) {
        return NULL;
    }
    sha256 = (sha256_fn)fn;  /* 0: forget it */
    Py_RETURN_NONE;
}

/* leaves(data, count) -> (entries, hashes) | None
   An entry bundle (count entries, each a big-endian uint16 length and its bytes, nothing
   after the last) split into a list of bytes, and their RFC 6962 leaf hashes
   SHA-256(0x00 || entry), concatenated. None if the bundle is not exactly that (the
   caller's tlog.split_bundle names the fault) or use_sha256 was not called. */
static PyObject *
leaves(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyBytes_Check(args[0]) || !PyLong_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "leaves(data: bytes, count: int)");
        return NULL;
    }
    Py_ssize_t count = PyLong_AsSsize_t(args[1]);
    if (count < 0) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    if (sha256 == NULL || count > PY_SSIZE_T_MAX / 32) {
        Py_RETURN_NONE;
    }
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    const unsigned char *end = p + PyBytes_GET_SIZE(args[0]);
    /* the lengths first: a bundle that is not whole builds nothing */
    const unsigned char *q = p;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (end - q < 2) {
            Py_RETURN_NONE;
        }
        size_t n = (size_t)q[0] << 8 | q[1];
        q += 2;
        if ((size_t)(end - q) < n) {
            Py_RETURN_NONE;
        }
        q += n;
    }
    if (q != end || message_room(65536 + 1) == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    PyObject *list = PyList_New(count);
    PyObject *hashes = PyBytes_FromStringAndSize(NULL, count * 32);
    if (list == NULL || hashes == NULL) {
        Py_XDECREF(list);
        Py_XDECREF(hashes);
        return NULL;
    }
    unsigned char *h = (unsigned char *)PyBytes_AS_STRING(hashes);
    message[0] = 0x00;
    for (Py_ssize_t i = 0; i < count; i++) {
        size_t n = (size_t)p[0] << 8 | p[1];
        p += 2;
        PyObject *item = PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
        if (item == NULL) {
            Py_DECREF(list);
            Py_DECREF(hashes);
            return NULL;
        }
        PyList_SET_ITEM(list, i, item);
        memcpy(message + 1, p, n);
        sha256(message, n + 1, h + 32 * i);
        p += n;
    }
    PyObject *out = PyTuple_Pack(2, list, hashes);
    Py_DECREF(list);
    Py_DECREF(hashes);
    return out;
}

/* perfect_root(hashes) -> bytes | None
   The root of the perfect tree over hashes (32-byte hashes concatenated, a power of two
   of them): SHA-256(0x01 || left || right) level by level. None for any other length
   or without use_sha256. */
static PyObject *
perfect_root(PyObject *Py_UNUSED(module), PyObject *hashes)
{
    if (!PyBytes_Check(hashes)) {
        PyErr_SetString(PyExc_TypeError, "perfect_root(hashes: bytes)");
        return NULL;
    }
    Py_ssize_t size = PyBytes_GET_SIZE(hashes);
    Py_ssize_t count = size / 32;
    if (sha256 == NULL || size % 32 != 0 || count == 0 || (count & (count - 1)) != 0) {
        Py_RETURN_NONE;
    }
    if (count == 1) {
        Py_INCREF(hashes);
        return hashes;
    }
    unsigned char *level = PyMem_Malloc((size_t)size);
    if (level == NULL) {
        return PyErr_NoMemory();
    }
    memcpy(level, PyBytes_AS_STRING(hashes), (size_t)size);
    unsigned char node[65];
    node[0] = 0x01;
    for (; count > 1; count /= 2) {
        /* node i is written over hash i, which is read before (i <= 2i) */
        for (Py_ssize_t i = 0; i < count / 2; i++) {
            memcpy(node + 1, level + 64 * i, 64);
            sha256(node, 65, level + 32 * i);
        }
    }
    PyObject *out = PyBytes_FromStringAndSize((const char *)level, 32);
    PyMem_Free(level);
    return out;
}

/* ------------------------------------------------------------------ lanes */
/* add_lanes(acc: bytearray, lanes: bytes-like, subtract: bool): acc += lanes (or -=),
   lane by lane, each lane a little-endian uint64, acc first grown with zero lanes to
   the length of lanes. Wrapping per lane; sheet.add_lanes, the reference, adds the two
   as integers, which is the same while no lane leaves [0, 2^64) (the callers' sums
   of counts of at most 10^9 cannot). */
static inline uint64_t
get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static PyObject *
add_lanes(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyByteArray_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError,
                        "add_lanes(acc: bytearray, lanes: bytes, subtract: bool)");
        return NULL;
    }
    int subtract = PyObject_IsTrue(args[2]);
    if (subtract < 0) {
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *acc = args[0];
    Py_ssize_t have = PyByteArray_GET_SIZE(acc), n = view.len;
    if (n % 8 != 0 || have % 8 != 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "add_lanes: lengths must be multiples of 8");
        return NULL;
    }
    if (have < n) {
        if (PyByteArray_Resize(acc, n) < 0) {
            PyBuffer_Release(&view);
            return NULL;
        }
        memset(PyByteArray_AS_STRING(acc) + have, 0, (size_t)(n - have));
    }
    unsigned char *a = (unsigned char *)PyByteArray_AS_STRING(acc);
    const unsigned char *b = view.buf;
    for (Py_ssize_t i = 0; i < n; i += 8) {
        uint64_t x = get_u64(a + i), y = get_u64(b + i);
        put_u64(a + i, subtract ? x - y : x + y);
    }
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ module */
static PyMethodDef methods[] = {
    {"envelope", (PyCFunction)(void (*)(void))envelope, METH_FASTCALL,
     "envelope(raw, types) -> (payload_type, payload, keyid, sig) | None\n\n"
     "A canonical one-signature DSSE envelope; None for anything else."},
    {"configure", configure, METH_VARARGS,
     "configure(facts, schema, tickets, candidates, parties) -> None\n\n"
     "The Facts class, the schema and the contests of each section IV list."},
    {"sheet", sheet, METH_O,
     "sheet(payload) -> Facts | None\n\n"
     "The facts of a canonical sheet (see sheet.facts_of); None for anything else."},
    {"use_sodium", use_sodium, METH_O,
     "use_sodium(address) -> None\n\n"
     "The address of libsodium's crypto_sign_verify_detached in PyNaCl's library."},
    {"verify", (PyCFunction)(void (*)(void))verify, METH_FASTCALL,
     "verify(signature, head, payload, public) -> 1 | 0\n\n"
     "Ed25519 (libsodium) of signature over head + payload under the 32-byte key."},
    {"verify_pae", (PyCFunction)(void (*)(void))verify_pae, METH_FASTCALL,
     "verify_pae(signature, payload_type, payload, public) -> 1 | 0\n\n"
     "verify() over DSSE's PAE of payload_type and payload, built here."},
    {"entry", (PyCFunction)(void (*)(void))entry_parts, METH_FASTCALL,
     "entry(raw, types, keys, sheet_type) -> (type, payload, keyid, sig, verdict, facts)"
     " | None\n\n"
     "envelope(); for a sheet also the verdict under keys[keyid] (-1: not decided here) "
     "and sheet()."},
    {"use_sha256", use_sha256, METH_O,
     "use_sha256(address) -> None\n\n"
     "The address of OpenSSL's SHA256() in the library hashlib loaded (0: none)."},
    {"leaves", (PyCFunction)(void (*)(void))leaves, METH_FASTCALL,
     "leaves(data, count) -> (entries, hashes) | None\n\n"
     "An entry bundle split, with the leaf hashes of its entries concatenated."},
    {"perfect_root", perfect_root, METH_O,
     "perfect_root(hashes) -> bytes | None\n\n"
     "The root of a perfect tree over concatenated 32-byte hashes."},
    {"add_lanes", (PyCFunction)(void (*)(void))add_lanes, METH_FASTCALL,
     "add_lanes(acc, lanes, subtract) -> None\n\n"
     "acc += lanes (or -=), lane by lane: little-endian uint64s; acc grows to fit."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "saksi.audit._accel",
    "Optional one-pass recognisers of canonical envelopes and sheets; the Python code "
    "in saksi.audit is the reference.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__accel(void)
{
    b64_init();
#if SAKSI_AVX2
    __builtin_cpu_init();
    has_avx2 = __builtin_cpu_supports("avx2");
#endif
    return PyModule_Create(&module);
}
