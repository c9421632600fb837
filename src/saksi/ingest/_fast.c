/* saksi.ingest._fast: the service's one-call check of a clean sheet.
 *
 * saksi/ingest/precheck.py is the reference.  clean() recognises only the commonest
 * case -- a sheet envelope in its canonical spelling, whose sheet is canonical, passes
 * every rule (no flag), and whose every signature verifies under a known key -- and
 * returns what precheck() would put into its Item for it.  For anything else,
 * including valid input it does not bother with, it returns None and precheck() takes
 * the Python path, which either accepts with the same result or names what is wrong.
 * So this module can make the workers faster but never changes a verdict, and the
 * service runs without it (no compiler at install time).
 * tests/ingest/test_fast_precheck.py compares the two on generated and mutated input.
 *
 * This is the service's own code: the verifier (saksi.audit) keeps an accelerator
 * of its own, so that one mistake cannot both admit a sheet and pass it in audit.
 *
 *   configure(contests: tuple[tuple[str, int], ...], schema: str) -> None
 *       Once, from precheck.py: every contest's wire name and the section IV list
 *       it uses (0 tickets, 1 candidates, 2 parties), and the schema string.
 *
 *   use_sodium(address: int) -> None
 *       The address of libsodium's crypto_sign_verify_detached in the library PyNaCl
 *       loaded (0: none, and clean() then always returns None).
 *
 *   clean(raw: bytes, sheet_type: str, spec_of, key_of)
 *           -> (tps, contest, revision, reason, keyids, counts) | None
 *       raw is a whole envelope:
 *         {"payload":"<b64>","payloadType":"<sheet_type>",
 *          "signatures":[{"keyid":"<hex>","sig":"<b64>"},...]}
 *       (docs/envelope-format.md: 1 to 16 signatures, distinct lower-case hex key ids,
 *       standard padded base64 with zero pad bits).  The payload must be a sheet in
 *       canonical form (docs/sheet-format.md): keys sorted, no whitespace, integers in
 *       their bounds without leading zeros, lists in strictly increasing ballot order,
 *       only the contest's own list in section IV, strings printable ASCII without '"'
 *       and '\\' (then they need no escape and are NFC; anything else goes to Python).
 *
 *       spec_of(tps: str, contest: str) is called once and returns None (no such TPS
 *       or ballot: Python explains) or (dpt_l, dpt_p, dpt_cap, expected, choices, k):
 *       the TPS's register, its cap (-1: none), the ballot's numbers as native uint32
 *       (ppwp/dpd: the entries' numbers; party contests: for each party its number,
 *       its list's length and its candidates' numbers) and the counts layout
 *       (saksi.tally.counts: P and K).  key_of(keyid: str) returns the 32-byte public
 *       key or None (not known here: Python decides).
 *
 *       The rules are those of rules._is_clean: the register equals I.A; every row's
 *       J is L + P; B4 = B1 + B2 + B3; B1 <= A; the cap; ballots 1 = 2 + 3 + 4 and
 *       1 <= A.J + its 2% reserve; 2 = B4.J = V.C = V.A + V.B; III.J <= B4.J; the
 *       numbers are the ballot's; each party's total is its own plus its candidates'
 *       votes; section IV sums to V.A; no figure of IV, nor V.C, exceeds
 *       A.J + B2.J + B3.J.
 *
 *       counts is saksi.tally.counts.counts_of's list; keyids the signatures' key ids
 *       in order (every one verified).
 *
 *   counts(raw, sheet_type, layout_of) -> (tps, contest, revision, reason, counts) | None
 *       For the restart's replay of sheets the sequencer accepted before (no rules, no
 *       signatures: they were checked then): the same reading of the envelope and the
 *       sheet as clean(), and counts_of's list for the layout layout_of(tps, contest)
 *       returns as (P, K); None where that returns None, a number falls outside the
 *       layout, or the bytes are not the fast case.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#define MAX_RAW 65536            /* precheck.MAX_ENTRY_BYTES */
#define MAX_SIGNATURES 16        /* envelope.MAX_SIGNATURES */
#define MAX_COUNT 1000000000ULL  /* sheets.model.MAX_COUNT */
#define MAX_NUMBER 999ULL        /* sheets.model.MAX_BALLOT_NUMBER */
#define MAX_LIST 100             /* sheets.model.MAX_ENTRIES */
#define MAX_TEXT 500             /* sheets.model.MAX_TEXT */
#define MAX_CONTESTS 8
#define FIGURES 6                /* saksi.tally.counts.FIGURES */

enum { TICKETS = 0, CANDIDATES = 1, PARTIES = 2 };

static PyObject *contest_names[MAX_CONTESTS];
static int contest_lists[MAX_CONTESTS];
static int n_contests;
static char schema[64];
static Py_ssize_t schema_len = -1;

typedef int (*verify_fn)(const unsigned char *sig, const unsigned char *m,
                         unsigned long long mlen, const unsigned char *pk);
static verify_fn sodium_verify;

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

/* A JSON integer as msgspec writes it ("0" or no leading zero), within [lo, hi]. */
static inline int
integer(Cur *c, uint64_t lo, uint64_t hi, uint64_t *out)
{
    const unsigned char *p = c->p;
    if (p >= c->end || *p < '0' || *p > '9') {
        return 0;
    }
    uint64_t v = (uint64_t)(*p++ - '0');
    if (v == 0) {
        if (p < c->end && *p >= '0' && *p <= '9') {
            return 0;
        }
    } else {
        while (p < c->end && *p >= '0' && *p <= '9') {
            v = v * 10 + (uint64_t)(*p++ - '0');
            if (v > hi) {
                return 0;
            }
        }
    }
    if (v < lo || v > hi) {
        return 0;
    }
    c->p = p;
    *out = v;
    return 1;
}

static inline int
count(Cur *c, uint64_t *out)
{
    return integer(c, 0, MAX_COUNT, out);
}

/* "..." of printable ASCII without '"' and '\\': the cursor is past the closing quote. */
static int
plain_string(Cur *c, const unsigned char **s, Py_ssize_t *n)
{
    if (!LIT(c, "\"")) {
        return 0;
    }
    const unsigned char *start = c->p;
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = *c->p;
        if (ch < 0x20 || ch > 0x7e || ch == '\\') {
            return 0;
        }
        c->p++;
    }
    if (c->p >= c->end) {
        return 0;
    }
    *s = start;
    *n = c->p - start;
    c->p++;
    return 1;
}

static int
is_lower_hex(const unsigned char *s, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* sheets.model.TpsCode: 13 digits, or "99" and 11 of [0-9A-Z] */
static int
is_tps(const unsigned char *s, Py_ssize_t n)
{
    if (n != 13) {
        return 0;
    }
    int overseas = s[0] == '9' && s[1] == '9';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (overseas && ch >= 'A' && ch <= 'Z'))) {
            return 0;
        }
    }
    return 1;
}

/* ------------------------------------------------------------------ base64 */
static int8_t b64_value[256];

static void
b64_init(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    memset(b64_value, -1, sizeof b64_value);
    for (int i = 0; i < 64; i++) {
        b64_value[(unsigned char)alphabet[i]] = (int8_t)i;
    }
}

/* Standard padded base64 with zero pad bits into out (room for n / 4 * 3 bytes);
   the decoded length, or -1. */
static Py_ssize_t
b64_decode(const unsigned char *s, Py_ssize_t n, unsigned char *out)
{
    if (n == 0 || n % 4 != 0) {
        return n == 0 ? 0 : -1;
    }
    Py_ssize_t pad = s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
    Py_ssize_t full = n - (pad ? 4 : 0);
    unsigned char *o = out;
    for (Py_ssize_t i = 0; i < full; i += 4) {
        int a = b64_value[s[i]], b = b64_value[s[i + 1]];
        int c = b64_value[s[i + 2]], d = b64_value[s[i + 3]];
        if ((a | b | c | d) < 0) {
            return -1;
        }
        uint32_t v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6) | (uint32_t)d;
        *o++ = (unsigned char)(v >> 16);
        *o++ = (unsigned char)(v >> 8);
        *o++ = (unsigned char)v;
    }
    if (pad) {
        const unsigned char *t = s + full;
        int a = b64_value[t[0]], b = b64_value[t[1]];
        if ((a | b) < 0) {
            return -1;
        }
        if (pad == 2) {
            if ((b & 0x0f) != 0) {
                return -1;
            }
            *o++ = (unsigned char)((a << 2) | (b >> 4));
        } else {
            int c = b64_value[t[2]];
            if (c < 0 || (c & 0x03) != 0) {
                return -1;
            }
            *o++ = (unsigned char)((a << 2) | (b >> 4));
            *o++ = (unsigned char)(((b & 0x0f) << 4) | (c >> 2));
        }
    }
    return o - out;
}

/* ------------------------------------------------------------------ the sheet */
typedef struct {
    uint64_t L, P, J;
} Lpj;

typedef struct {
    uint64_t ballots[4];
    int contest;
    Lpj disabled;
    const unsigned char *reason;
    Py_ssize_t reason_len;  /* -1: absent */
    uint64_t revision;
    uint64_t totals[3];
    const unsigned char *tps;
    Lpj voters[5];
    /* section IV: n entries (ppwp, dpd) or n parties */
    int n;
    uint64_t number[MAX_LIST], votes[MAX_LIST];         /* entries; a party's number */
    uint64_t party_votes[MAX_LIST], total[MAX_LIST];
    int first[MAX_LIST], length[MAX_LIST];              /* a party's candidates */
    int n_candidates;
    uint64_t c_number[MAX_LIST * MAX_LIST], c_votes[MAX_LIST * MAX_LIST];  /* ~160 KB */
} Sheet;

/* A call's scratch space: the parsed sheet and the PAE.  One is kept for the calls
   made one after another; a call that starts while another waits on a callback (a
   second thread) gets its own. */
#define HEAD_ROOM 160
typedef struct {
    Sheet sheet;
    unsigned char message[HEAD_ROOM + MAX_RAW];
} Work;

static Work *kept;
static int kept_busy;

static Work *
take_work(void)
{
    if (!kept_busy) {
        if (kept == NULL) {
            kept = PyMem_Malloc(sizeof(Work));
            if (kept == NULL) {
                PyErr_NoMemory();
                return NULL;
            }
        }
        kept_busy = 1;
        return kept;
    }
    Work *w = PyMem_Malloc(sizeof(Work));
    if (w == NULL) {
        PyErr_NoMemory();
    }
    return w;
}

static void
give_work(Work *w)
{
    if (w == kept) {
        kept_busy = 0;
    } else {
        PyMem_Free(w);
    }
}

static int
lpj(Cur *c, Lpj *row)
{
    return LIT(c, "{\"J\":") && count(c, &row->J) && LIT(c, ",\"L\":") && count(c, &row->L)
        && LIT(c, ",\"P\":") && count(c, &row->P) && LIT(c, "}");
}

/* [{"number":N,"votes":V},...] strictly increasing N; *n entries appended at number/votes */
static int
entries(Cur *c, uint64_t *number, uint64_t *votes, int room, int *n)
{
    if (!LIT(c, "[")) {
        return 0;
    }
    *n = 0;
    if (LIT(c, "]")) {
        return 1;
    }
    uint64_t previous = 0;
    do {
        if (*n >= room || !LIT(c, "{\"number\":") || !integer(c, 1, MAX_NUMBER, &number[*n])
            || number[*n] <= previous || !LIT(c, ",\"votes\":") || !count(c, &votes[*n])
            || !LIT(c, "}")) {
            return 0;
        }
        previous = number[*n];
        (*n)++;
    } while (LIT(c, ","));
    return LIT(c, "]");
}

static int
parties(Cur *c, Sheet *s)
{
    if (!LIT(c, "[")) {
        return 0;
    }
    uint64_t previous = 0;
    do {
        int i = s->n;
        int got;
        if (i >= MAX_LIST || !LIT(c, "{\"candidates\":")
            || !entries(c, s->c_number + s->n_candidates, s->c_votes + s->n_candidates,
                        MAX_LIST, &got)
            || !LIT(c, ",\"number\":") || !integer(c, 1, MAX_NUMBER, &s->number[i])
            || s->number[i] <= previous || !LIT(c, ",\"party_votes\":")
            || !count(c, &s->party_votes[i]) || !LIT(c, ",\"total\":")
            || !count(c, &s->total[i]) || !LIT(c, "}")) {
            return 0;
        }
        s->first[i] = s->n_candidates;
        s->length[i] = got;
        s->n_candidates += got;
        previous = s->number[i];
        s->n++;
    } while (LIT(c, ","));
    return LIT(c, "]");
}

static int
parse_sheet(Cur *c, Sheet *s)
{
    const unsigned char *text;
    Py_ssize_t len;
    if (!LIT(c, "{\"ballots\":{\"1\":") || !count(c, &s->ballots[0])
        || !LIT(c, ",\"2\":") || !count(c, &s->ballots[1])
        || !LIT(c, ",\"3\":") || !count(c, &s->ballots[2])
        || !LIT(c, ",\"4\":") || !count(c, &s->ballots[3])
        || !LIT(c, "},\"contest\":") || !plain_string(c, &text, &len)) {
        return 0;
    }
    s->contest = -1;
    for (int i = 0; i < n_contests; i++) {
        Py_ssize_t n;
        const char *name = PyUnicode_AsUTF8AndSize(contest_names[i], &n);
        if (name != NULL && n == len && memcmp(name, text, (size_t)n) == 0) {
            s->contest = i;
            break;
        }
    }
    if (s->contest < 0 || !LIT(c, ",\"disabled\":") || !lpj(c, &s->disabled)) {
        return 0;
    }
    if (LIT(c, ",\"photo_sha256\":")) {
        if (!plain_string(c, &text, &len) || len != 64 || !is_lower_hex(text, len)) {
            return 0;
        }
    }
    s->reason_len = -1;
    if (LIT(c, ",\"reason\":")) {
        if (!plain_string(c, &s->reason, &s->reason_len) || s->reason_len > MAX_TEXT) {
            return 0;
        }
    }
    if (!LIT(c, ",\"revision\":") || !integer(c, 1, MAX_COUNT, &s->revision)
        || !LIT(c, ",\"schema\":") || !plain_string(c, &text, &len)
        || len != schema_len || memcmp(text, schema, (size_t)len) != 0
        || !LIT(c, ",\"totals\":{\"A\":") || !count(c, &s->totals[0])
        || !LIT(c, ",\"B\":") || !count(c, &s->totals[1])
        || !LIT(c, ",\"C\":") || !count(c, &s->totals[2])
        || !LIT(c, "},\"tps\":") || !plain_string(c, &s->tps, &len) || !is_tps(s->tps, len)
        || !LIT(c, ",\"voters\":{\"A\":") || !lpj(c, &s->voters[0])
        || !LIT(c, ",\"B1\":") || !lpj(c, &s->voters[1])
        || !LIT(c, ",\"B2\":") || !lpj(c, &s->voters[2])
        || !LIT(c, ",\"B3\":") || !lpj(c, &s->voters[3])
        || !LIT(c, ",\"B4\":") || !lpj(c, &s->voters[4])
        || !LIT(c, "},\"votes\":{")) {
        return 0;
    }
    s->n = 0;
    s->n_candidates = 0;
    if (!LIT(c, "}")) {
        /* only the contest's own list, and not empty (omitted when empty) */
        int list = contest_lists[s->contest];
        int ok;
        if (list == PARTIES) {
            ok = LIT(c, "\"parties\":") && parties(c, s);
        } else if (list == CANDIDATES) {
            ok = LIT(c, "\"candidates\":") && entries(c, s->number, s->votes, MAX_LIST, &s->n);
        } else {
            ok = LIT(c, "\"tickets\":") && entries(c, s->number, s->votes, MAX_LIST, &s->n);
        }
        if (!ok || s->n == 0 || !LIT(c, "}")) {
            return 0;
        }
    }
    return LIT(c, "}") && c->p == c->end;
}

/* ------------------------------------------------------------------ the rules */
typedef struct {
    uint64_t dpt_l, dpt_p;
    int64_t cap;
    const uint32_t *expected;
    Py_ssize_t n_expected;
    Py_ssize_t choices, k;
} Spec;

static int
rows_hold(const Sheet *s, const Spec *b)
{
    const Lpj *a = &s->voters[0], *b1 = &s->voters[1], *b2 = &s->voters[2];
    const Lpj *b3 = &s->voters[3], *b4 = &s->voters[4], *d = &s->disabled;
    const uint64_t *ballots = s->ballots, *t = s->totals;
    if (a->L != b->dpt_l || a->P != b->dpt_p || a->J != b->dpt_l + b->dpt_p) {
        return 0;
    }
    for (int i = 0; i < 5; i++) {
        if (s->voters[i].J != s->voters[i].L + s->voters[i].P) {
            return 0;
        }
    }
    if (d->J != d->L + d->P) {
        return 0;
    }
    if (b4->L != b1->L + b2->L + b3->L || b4->P != b1->P + b2->P + b3->P
        || b4->J != b1->J + b2->J + b3->J) {
        return 0;
    }
    if (b1->L > a->L || b1->P > a->P || b1->J > a->J) {
        return 0;
    }
    if (b->cap >= 0 && (uint64_t)b->cap < a->J) {
        return 0;
    }
    if (ballots[0] != ballots[1] + ballots[2] + ballots[3]
        || ballots[0] > a->J + (2 * a->J + 99) / 100) {
        return 0;
    }
    return ballots[1] == b4->J && t[2] == t[0] + t[1] && ballots[1] == t[2] && d->J <= b4->J;
}

/* Section IV against the ballot; the counts written into out (width zeros given). */
static int
votes_hold(const Sheet *s, const Spec *b, int party, uint64_t *out)
{
    const uint32_t *e = b->expected;
    Py_ssize_t at = 0;
    uint64_t section = 0, most = 0;
    if (!party) {
        if (b->n_expected != s->n) {
            return 0;
        }
        for (int i = 0; i < s->n; i++) {
            if (s->number[i] != e[i] || s->number[i] > (uint64_t)b->choices) {
                return 0;
            }
            section += s->votes[i];
            most = s->votes[i] > most ? s->votes[i] : most;
            out[FIGURES + s->number[i] - 1] = s->votes[i];
        }
    } else {
        Py_ssize_t only = FIGURES + b->choices, cand = FIGURES + 2 * b->choices;
        for (int i = 0; i < s->n; i++) {
            if (at + 2 > b->n_expected || s->number[i] != e[at]
                || (uint64_t)s->length[i] != e[at + 1] || s->number[i] > (uint64_t)b->choices) {
                return 0;
            }
            at += 2;
            Py_ssize_t n = (Py_ssize_t)s->number[i] - 1;
            uint64_t own = s->party_votes[i];
            if (at + s->length[i] > b->n_expected) {
                return 0;
            }
            for (int j = 0; j < s->length[i]; j++) {
                uint64_t number = s->c_number[s->first[i] + j];
                uint64_t v = s->c_votes[s->first[i] + j];
                if (number != e[at + j] || number > (uint64_t)b->k) {
                    return 0;
                }
                own += v;
                most = v > most ? v : most;
                out[cand + n * b->k + (Py_ssize_t)number - 1] = v;
            }
            at += s->length[i];
            if (own != s->total[i]) {
                return 0;
            }
            section += s->total[i];
            most = s->party_votes[i] > most ? s->party_votes[i] : most;
            most = s->total[i] > most ? s->total[i] : most;
            out[FIGURES + n] = s->total[i];
            out[only + n] = s->party_votes[i];
        }
        if (at != b->n_expected) {
            return 0;
        }
    }
    const uint64_t *t = s->totals;
    uint64_t cap = s->voters[0].J + s->voters[2].J + s->voters[3].J;
    return section == t[0] && t[2] <= cap && most <= cap;
}

/* ------------------------------------------------------------------ the call */
static int
read_spec(PyObject *spec, Spec *b)
{
    /* (dpt_l, dpt_p, cap, expected, choices, k); 0: not usable (Python decides) */
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 6
        || !PyBytes_Check(PyTuple_GET_ITEM(spec, 3))) {
        return 0;
    }
    long long v[6];
    int at[5] = {0, 1, 2, 4, 5};
    for (int i = 0; i < 5; i++) {
        v[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(spec, at[i]));
        if (v[i] == -1 && PyErr_Occurred()) {
            return -1;
        }
    }
    PyObject *expected = PyTuple_GET_ITEM(spec, 3);
    if (v[0] < 0 || v[1] < 0 || v[3] < 0 || v[3] > 100000 || v[4] < 0 || v[4] > 100000
        || PyBytes_GET_SIZE(expected) % sizeof(uint32_t) != 0) {
        return 0;
    }
    b->dpt_l = (uint64_t)v[0];
    b->dpt_p = (uint64_t)v[1];
    b->cap = v[2] < 0 ? -1 : v[2];
    b->choices = (Py_ssize_t)v[3];
    b->k = (Py_ssize_t)v[4];
    b->expected = (const uint32_t *)PyBytes_AS_STRING(expected);
    b->n_expected = PyBytes_GET_SIZE(expected) / (Py_ssize_t)sizeof(uint32_t);
    return 1;
}

typedef struct {
    const unsigned char *keyid;
    const unsigned char *sig;  /* 88 base64 characters */
} SigRef;

/* The envelope's parts; 0 if it is not the canonical spelling of a sheet envelope. */
static int
read_envelope(const unsigned char *raw, Py_ssize_t n, PyObject *sheet_type,
              const unsigned char **payload, Py_ssize_t *payload_len,
              SigRef *sigs, int *n_sigs)
{
    Cur c = {raw, raw + n};
    if (!LIT(&c, "{\"payload\":\"")) {
        return 0;
    }
    *payload = c.p;
    const unsigned char *q = memchr(c.p, '"', (size_t)(c.end - c.p));
    if (q == NULL) {
        return 0;
    }
    *payload_len = q - c.p;
    c.p = q;
    Py_ssize_t type_len;
    const char *type = PyUnicode_AsUTF8AndSize(sheet_type, &type_len);
    if (type == NULL) {
        return -1;
    }
    if (!LIT(&c, "\",\"payloadType\":\"") || !lit(&c, type, (size_t)type_len)
        || !LIT(&c, "\",\"signatures\":[")) {
        return 0;
    }
    *n_sigs = 0;
    do {
        if (*n_sigs >= MAX_SIGNATURES || !LIT(&c, "{\"keyid\":\"") || c.end - c.p < 64
            || !is_lower_hex(c.p, 64)) {
            return 0;
        }
        sigs[*n_sigs].keyid = c.p;
        c.p += 64;
        if (!LIT(&c, "\",\"sig\":\"") || c.end - c.p < 88) {
            return 0;
        }
        sigs[*n_sigs].sig = c.p;
        c.p += 88;
        if (!LIT(&c, "\"}")) {
            return 0;
        }
        for (int i = 0; i < *n_sigs; i++) {
            if (memcmp(sigs[i].keyid, sigs[*n_sigs].keyid, 64) == 0) {
                return 0;  /* SIG-DUPLICATE: Python names it */
            }
        }
        (*n_sigs)++;
    } while (LIT(&c, ","));
    return LIT(&c, "]}") && c.p == c.end;
}

static PyObject *
counts_list(const uint64_t *out, Py_ssize_t width)
{
    PyObject *list = PyList_New(width);
    if (list == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < width; i++) {
        PyObject *v = PyLong_FromUnsignedLongLong(out[i]);
        if (v == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

/* The sheet of a canonical sheet envelope, parsed into w->sheet, with the PAE built in
   w->message (*m, *m_len) and the signatures found: 1, 0 (not the fast case: the caller
   returns None) or -1 (a Python error is set). */
static int
read_sheet(PyObject *raw, PyObject *sheet_type, Work *w, const unsigned char **m,
           Py_ssize_t *m_len, SigRef *sigs, int *n_sigs)
{
    const unsigned char *payload64;
    Py_ssize_t payload64_len;
    int got = read_envelope((const unsigned char *)PyBytes_AS_STRING(raw),
                            PyBytes_GET_SIZE(raw), sheet_type, &payload64, &payload64_len,
                            sigs, n_sigs);
    if (got <= 0) {
        return got;
    }
    Py_ssize_t type_len;
    const char *type = PyUnicode_AsUTF8AndSize(sheet_type, &type_len);
    if (type == NULL) {
        return -1;
    }
    if (type_len > HEAD_ROOM - 32) {
        return 0;
    }
    /* The PAE, "DSSEv1 <len(type)> <type> <len(payload)> " + payload, in one buffer:
       the payload decoded at HEAD_ROOM, its head written just before it. */
    unsigned char *payload = w->message + HEAD_ROOM;
    Py_ssize_t payload_len = b64_decode(payload64, payload64_len, payload);
    if (payload_len < 0) {
        return 0;
    }
    char head[HEAD_ROOM + 1];
    int head_len = snprintf(head, sizeof head, "DSSEv1 %zd %s %zd ", type_len, type,
                            payload_len);
    if (head_len < 0 || head_len > HEAD_ROOM) {
        return 0;
    }
    memcpy(payload - head_len, head, (size_t)head_len);
    *m = payload - head_len;
    *m_len = head_len + payload_len;
    Cur c = {payload, payload + payload_len};
    return parse_sheet(&c, &w->sheet);
}

/* read_sheet(), then ask(tps, contest) about the sheet: 1 with *tps and *reply set (new
   references; the reply may be None), 0 (not the fast case) or -1 (a Python error). */
static int
read_and_ask(PyObject *raw, PyObject *sheet_type, PyObject *ask, Work *w,
             const unsigned char **m, Py_ssize_t *m_len, SigRef *sigs, int *n_sigs,
             PyObject **tps, PyObject **reply)
{
    int got = read_sheet(raw, sheet_type, w, m, m_len, sigs, n_sigs);
    if (got <= 0) {
        return got;
    }
    *tps = PyUnicode_FromStringAndSize((const char *)w->sheet.tps, 13);
    if (*tps == NULL) {
        return -1;
    }
    *reply = PyObject_CallFunctionObjArgs(ask, *tps, contest_names[w->sheet.contest], NULL);
    return *reply == NULL ? -1 : 1;
}

/* Where each figure of section IV goes (saksi.tally.counts), without the rules: 0 if a
   number falls outside the layout. */
static int
place_votes(const Sheet *s, int party, Py_ssize_t choices, Py_ssize_t k, uint64_t *out)
{
    for (int i = 0; i < s->n; i++) {
        if (s->number[i] > (uint64_t)choices) {
            return 0;
        }
        Py_ssize_t n = (Py_ssize_t)s->number[i] - 1;
        if (!party) {
            out[FIGURES + n] = s->votes[i];
            continue;
        }
        out[FIGURES + n] = s->total[i];
        out[FIGURES + choices + n] = s->party_votes[i];
        for (int j = 0; j < s->length[i]; j++) {
            uint64_t number = s->c_number[s->first[i] + j];
            if (number > (uint64_t)k) {
                return 0;
            }
            out[FIGURES + 2 * choices + n * k + (Py_ssize_t)number - 1]
                = s->c_votes[s->first[i] + j];
        }
    }
    return 1;
}

static void
put_figures(const Sheet *s, uint64_t *out)
{
    out[0] = 1;
    out[1] = s->voters[0].J;
    out[2] = s->voters[4].J;
    out[3] = s->totals[0];
    out[4] = s->totals[1];
    out[5] = s->totals[2];
}

static PyObject *
reason_of(const Sheet *s)
{
    if (s->reason_len < 0) {
        return Py_NewRef(Py_None);
    }
    return PyUnicode_FromStringAndSize((const char *)s->reason, s->reason_len);
}

static PyObject *
clean(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "clean(raw, sheet_type, spec_of, key_of)");
        return NULL;
    }
    PyObject *raw = args[0], *sheet_type = args[1], *spec_of = args[2], *key_of = args[3];
    if (!PyBytes_Check(raw) || !PyUnicode_Check(sheet_type) || sodium_verify == NULL
        || schema_len < 0 || PyBytes_GET_SIZE(raw) > MAX_RAW) {
        Py_RETURN_NONE;
    }
    Work *w = take_work();
    if (w == NULL) {
        return NULL;
    }
    PyObject *result = NULL, *spec = NULL, *tps = NULL, *reason = NULL, *keyids = NULL;
    PyObject *counts = NULL;
    uint64_t *out = NULL;
    Sheet *s = &w->sheet;
    const unsigned char *m;
    Py_ssize_t m_len;
    SigRef sigs[MAX_SIGNATURES];
    int n_sigs;
    int got = read_and_ask(raw, sheet_type, spec_of, w, &m, &m_len, sigs, &n_sigs, &tps,
                           &spec);
    if (got <= 0) {
        if (got < 0) {
            goto done;
        }
        goto none;
    }
    PyObject *contest = contest_names[s->contest];
    Spec b;
    got = spec == Py_None ? 0 : read_spec(spec, &b);
    if (got <= 0) {
        if (got < 0) {
            goto done;
        }
        goto none;
    }
    int party = contest_lists[s->contest] == PARTIES;
    Py_ssize_t width = FIGURES + b.choices * (party ? 2 + b.k : 1);
    out = PyMem_Calloc((size_t)width, sizeof(uint64_t));
    if (out == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (!rows_hold(s, &b) || !votes_hold(s, &b, party, out)) {
        goto none;
    }
    put_figures(s, out);

    keyids = PyTuple_New(n_sigs);
    if (keyids == NULL) {
        goto done;
    }
    for (int i = 0; i < n_sigs; i++) {
        PyObject *keyid = PyUnicode_FromStringAndSize((const char *)sigs[i].keyid, 64);
        if (keyid == NULL) {
            goto done;
        }
        PyTuple_SET_ITEM(keyids, i, keyid);
        unsigned char sig[66];
        if (b64_decode(sigs[i].sig, 88, sig) != 64) {
            goto none;
        }
        PyObject *key = PyObject_CallOneArg(key_of, keyid);
        if (key == NULL) {
            goto done;
        }
        int usable = PyBytes_Check(key) && PyBytes_GET_SIZE(key) == 32;
        int verified = usable
            && sodium_verify(sig, m, (unsigned long long)m_len,
                             (const unsigned char *)PyBytes_AS_STRING(key)) == 0;
        Py_DECREF(key);
        if (!verified) {
            goto none;  /* unknown key or a bad signature: Python decides and says why */
        }
    }
    reason = reason_of(s);
    if (reason == NULL) {
        goto done;
    }
    counts = counts_list(out, width);
    if (counts == NULL) {
        goto done;
    }
    result = Py_BuildValue("(OOKOOO)", tps, contest, (unsigned long long)s->revision,
                           reason, keyids, counts);
    goto done;
none:
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(spec);
    Py_XDECREF(tps);
    Py_XDECREF(reason);
    Py_XDECREF(keyids);
    Py_XDECREF(counts);
    PyMem_Free(out);
    give_work(w);
    return result;
}

static PyObject *
counts(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "counts(raw, sheet_type, layout_of)");
        return NULL;
    }
    PyObject *raw = args[0], *sheet_type = args[1], *layout_of = args[2];
    if (!PyBytes_Check(raw) || !PyUnicode_Check(sheet_type) || schema_len < 0
        || PyBytes_GET_SIZE(raw) > MAX_RAW) {
        Py_RETURN_NONE;
    }
    Work *w = take_work();
    if (w == NULL) {
        return NULL;
    }
    PyObject *result = NULL, *layout = NULL, *tps = NULL, *reason = NULL, *list = NULL;
    uint64_t *out = NULL;
    Sheet *s = &w->sheet;
    const unsigned char *m;
    Py_ssize_t m_len;
    SigRef sigs[MAX_SIGNATURES];
    int n_sigs;
    int got = read_and_ask(raw, sheet_type, layout_of, w, &m, &m_len, sigs, &n_sigs, &tps,
                           &layout);
    if (got <= 0) {
        if (got < 0) {
            goto done;
        }
        goto none;
    }
    PyObject *contest = contest_names[s->contest];
    Py_ssize_t choices, k;
    if (layout == Py_None || !PyArg_ParseTuple(layout, "nn", &choices, &k)) {
        if (PyErr_Occurred()) {
            goto done;
        }
        goto none;
    }
    if (choices < 0 || choices > 100000 || k < 0 || k > 100000) {
        goto none;
    }
    int party = contest_lists[s->contest] == PARTIES;
    Py_ssize_t width = FIGURES + choices * (party ? 2 + k : 1);
    out = PyMem_Calloc((size_t)width, sizeof(uint64_t));
    if (out == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (!place_votes(s, party, choices, k, out)) {
        goto none;
    }
    put_figures(s, out);
    reason = reason_of(s);
    if (reason == NULL) {
        goto done;
    }
    list = counts_list(out, width);
    if (list == NULL) {
        goto done;
    }
    result = Py_BuildValue("(OOKOO)", tps, contest, (unsigned long long)s->revision, reason,
                           list);
    goto done;
none:
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(layout);
    Py_XDECREF(tps);
    Py_XDECREF(reason);
    Py_XDECREF(list);
    PyMem_Free(out);
    give_work(w);
    return result;
}

static PyObject *
configure(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *contests, *schema_obj;
    if (!PyArg_ParseTuple(args, "O!U", &PyTuple_Type, &contests, &schema_obj)) {
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(contests);
    Py_ssize_t len;
    const char *text = PyUnicode_AsUTF8AndSize(schema_obj, &len);
    if (text == NULL) {
        return NULL;
    }
    if (n > MAX_CONTESTS || len >= (Py_ssize_t)sizeof schema) {
        PyErr_SetString(PyExc_ValueError, "too many contests or too long a schema");
        return NULL;
    }
    PyObject *names[MAX_CONTESTS];
    int lists[MAX_CONTESTS];
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name;
        int list;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(contests, i), "Ui", &name, &list)) {
            return NULL;
        }
        if (list < TICKETS || list > PARTIES) {
            PyErr_SetString(PyExc_ValueError, "a contest's list is 0, 1 or 2");
            return NULL;
        }
        names[i] = name;
        lists[i] = list;
    }
    for (int i = 0; i < n_contests; i++) {
        Py_CLEAR(contest_names[i]);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        contest_names[i] = Py_NewRef(names[i]);
        contest_lists[i] = lists[i];
    }
    n_contests = (int)n;
    memcpy(schema, text, (size_t)len);
    schema_len = len;
    Py_RETURN_NONE;
}

static PyObject *
use_sodium(PyObject *Py_UNUSED(module), PyObject *address)
{
    void *p = PyLong_AsVoidPtr(address);
    if (p == NULL && PyErr_Occurred()) {
        return NULL;
    }
    sodium_verify = (verify_fn)p;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(contests, schema) -> None\n\n"
     "Every contest's wire name with its section IV list (0 tickets, 1 candidates, "
     "2 parties), and the sheet schema."},
    {"use_sodium", use_sodium, METH_O,
     "use_sodium(address) -> None\n\n"
     "The address of libsodium's crypto_sign_verify_detached (0: none)."},
    {"clean", (PyCFunction)(void (*)(void))clean, METH_FASTCALL,
     "clean(raw, sheet_type, spec_of, key_of) -> (tps, contest, revision, reason, keyids, "
     "counts) | None\n\n"
     "A canonical, clean, verified sheet envelope's parts; None for anything else."},
    {"counts", (PyCFunction)(void (*)(void))counts, METH_FASTCALL,
     "counts(raw, sheet_type, layout_of) -> (tps, contest, revision, reason, counts) | None\n\n"
     "A canonical sheet envelope's counts, without rules or signatures (the replay of "
     "sheets accepted before); None for anything else."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "saksi.ingest._fast",
    "The service's one-call check of a clean sheet; saksi.ingest.precheck is the "
    "reference.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__fast(void)
{
    b64_init();
    return PyModule_Create(&module);
}
