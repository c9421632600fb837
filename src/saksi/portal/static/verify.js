/* "Verifikasi sendiri / verify it yourself": the browser re-checks one sheet
   with WebCrypto only (Ed25519 + SHA-256), from public data:
   the signed checkpoint, the log's entry bundle, the inclusion proof, the
   signer's enrolment entry and the published JSON. Formats: docs/envelope-format.md,
   docs/log-format.md. Vanilla JS, no build step. */
(function () {
  "use strict";
  var lang = document.documentElement.lang === "en" ? "en" : "id";
  var enc = new TextEncoder();
  var SHEET_TYPE = "application/vnd.saksi.sheet.v1+json";
  var ENROL_TYPE = "application/vnd.saksi.enrolment.v1+json";
  var AUTH_TYPE = "application/vnd.saksi.authority.v1+json";

  function L(id, en) { return lang === "en" ? en : id; }
  function hex(bytes) {
    return Array.prototype.map.call(new Uint8Array(bytes), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function unhex(s) {
    var out = new Uint8Array(s.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
    return out;
  }
  function b64(s) {
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function concat() {
    var n = 0, i, parts = arguments;
    for (i = 0; i < parts.length; i++) n += parts[i].length;
    var out = new Uint8Array(n), off = 0;
    for (i = 0; i < parts.length; i++) { out.set(parts[i], off); off += parts[i].length; }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }
  function ed25519(pk, sig, msg) {
    return crypto.subtle.importKey("raw", pk, { name: "Ed25519" }, false, ["verify"])
      .then(function (key) { return crypto.subtle.verify({ name: "Ed25519" }, key, sig, msg); });
  }
  function get(url, kind) {
    return fetch(url, { cache: "no-cache" }).then(function (r) {
      if (!r.ok) { var err = new Error(url + ": HTTP " + r.status); err.status = r.status; throw err; }
      return kind === "bytes" ? r.arrayBuffer().then(function (b) { return new Uint8Array(b); })
        : kind === "json" ? r.json() : r.text();
    });
  }

  /* ---- the log: C2SP signed note, tlog-proof, tlog-tiles entry bundles */
  function parseNote(text) {
    var cut = text.indexOf("\n\n");
    if (cut < 0) throw new Error("checkpoint: no blank line");
    var body = text.slice(0, cut + 1), lines = body.split("\n");
    var sigs = text.slice(cut + 2).split("\n").filter(function (l) { return l.indexOf("— ") === 0; })
      .map(function (l) {
        var rest = l.slice(2), sp = rest.lastIndexOf(" ");
        return { name: rest.slice(0, sp), raw: b64(rest.slice(sp + 1)) };
      });
    return { body: body, origin: lines[0], size: parseInt(lines[1], 10), root: b64(lines[2]), sigs: sigs };
  }
  function parseProof(text) {
    var cut = text.indexOf("\n\n");
    var head = text.slice(0, cut).split("\n"), i = 0;
    if (head[i++] !== "c2sp.org/tlog-proof@v1") throw new Error("tlog-proof: bad header");
    if (head[i].indexOf("extra ") === 0) i++;
    var index = parseInt(head[i++].replace(/^index /, ""), 10);
    return { index: index, path: head.slice(i).map(b64), note: text.slice(cut + 2) };
  }
  function tilePath(n) {
    var s = String(n), groups = [];
    while (s.length > 3) { groups.unshift(s.slice(-3)); s = s.slice(0, -3); }
    groups.unshift(("00" + s).slice(-3));
    return groups.map(function (g, k) { return k < groups.length - 1 ? "x" + g : g; }).join("/");
  }
  function entryAt(index, size) {
    var n = Math.floor(index / 256), full = "/log/tile/entries/" + tilePath(n);
    var width = size - n * 256;
    var first = width < 256 ? full + ".p/" + width : full;
    return get(first, "bytes").catch(function (e) {
      if (first === full || e.status !== 404) throw e;
      return get(full, "bytes");  /* the partial bundle was replaced by the full one */
    }).then(function (bundle) {
      var off = 0, k = 0, want = index - n * 256;
      while (off + 2 <= bundle.length) {
        var len = (bundle[off] << 8) | bundle[off + 1];
        if (k === want) return bundle.slice(off + 2, off + 2 + len);
        off += 2 + len; k++;
      }
      throw new Error(L("entri tidak ada di bundel", "entry not in the bundle"));
    });
  }
  function node(l, r) { return sha256(concat(new Uint8Array([1]), l, r)); }
  function rootFromPath(index, size, leaf, path) {  /* RFC 9162 §2.1.3.2 */
    var fn = index, sn = size - 1, r = Promise.resolve(leaf), k = 0;
    if (index >= size) return Promise.resolve(null);
    function step(cur) {
      if (k === path.length) return sn === 0 ? cur : null;
      var p = path[k++];
      if (sn === 0) return null;
      var next;
      if ((fn & 1) === 1 || fn === sn) {
        next = node(p, cur);
        if ((fn & 1) === 0) while ((fn & 1) === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        next = node(cur, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
      return next.then(step);
    }
    return r.then(step);
  }
  function pae(type, payload) {
    var t = enc.encode(type);
    return concat(enc.encode("DSSEv1 " + t.length + " "), t, enc.encode(" " + payload.length + " "), payload);
  }
  function parseVkey(vkey) {
    /* name+keyid+base64: the base64 may itself hold "+", so split at the first two */
    var i = vkey.indexOf("+"), j = vkey.indexOf("+", i + 1);
    if (i < 0 || j < 0) throw new Error("vkey");
    var raw = b64(vkey.slice(j + 1));
    if (raw[0] !== 1 || raw.length !== 33) throw new Error("vkey");
    return { name: vkey.slice(0, i), id: vkey.slice(i + 1, j), pk: raw.slice(1) };
  }
  function sameJson(a, b) {
    if (a === null || a === undefined) return b === null || b === undefined;
    if (typeof a !== "object" || typeof b !== "object" || b === null) return a === b;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    var keys = {};
    Object.keys(a).concat(Object.keys(b)).forEach(function (k) { keys[k] = 1; });
    return Object.keys(keys).every(function (k) { return sameJson(a[k], b[k]); });
  }
  function resolve(obj, path) {
    return path.replace(/\[(\d+)\]/g, ".$1").split(".").reduce(function (o, k) {
      return o === undefined || o === null ? undefined : o[k];
    }, obj);
  }

  /* ---- the procedure, one visible step at a time */
  function run(box) {
    var out = box.querySelector("ol.steps");
    out.innerHTML = "";
    box.removeAttribute("data-result");
    var failed = false;
    function step(ok, text) {
      var li = document.createElement("li");
      li.className = ok === true ? "pass" : ok === false ? "fail" : "info";
      var mark = document.createElement("span");
      mark.className = "mark";
      mark.textContent = ok === true ? "✓" : ok === false ? "✗" : "ℹ";
      mark.setAttribute("aria-hidden", "true");
      var sr = document.createElement("span");
      sr.className = "sr";
      sr.textContent = ok === true ? L("Lolos: ", "Pass: ") : ok === false ? L("Gagal: ", "Fail: ") : "";
      li.appendChild(mark); li.appendChild(sr); li.appendChild(document.createTextNode(text));
      out.appendChild(li);
      if (ok === false) failed = true;
      return ok;
    }
    var d = box.dataset, tps = d.tps, index = parseInt(d.index, 10);
    var vkeyText = (document.querySelector('meta[name="saksi-log-vkey"]') || {}).content || "";
    var cp, entry, env, payload, pk = unhex(d.pk || "");
    if (!window.crypto || !crypto.subtle) {
      step(false, L("Peramban ini tidak menyediakan WebCrypto (perlu HTTPS).",
                    "This browser offers no WebCrypto (HTTPS needed)."));
      return Promise.resolve(finish());
    }
    function finish() {
      box.setAttribute("data-result", failed ? "fail" : "pass");
      step(!failed, failed ? L("VERIFIKASI GAGAL: jangan percayai angka ini sebelum diperiksa.",
                               "VERIFICATION FAILED: do not trust these figures until checked.")
                           : L("Semua pemeriksaan lolos: formulir ini persis seperti yang ditandatangani dan tercatat di log.",
                               "Every check passed: this sheet is exactly as signed and is in the log."));
    }
    var proofP = get("/api/v1/tps/" + encodeURIComponent(tps) + "/proof?index=" + index, "text");
    return proofP.then(function (text) {
      var proof = parseProof(text);
      cp = parseNote(proof.note);
      cp.path = proof.path;
      step(proof.index === index, L("Bukti inklusi untuk entri log #", "Inclusion proof for log entry #") + proof.index +
        L(" terhadap checkpoint berukuran ", " against a checkpoint of size ") + cp.size + ".");
      /* 1. the checkpoint's signature, with the log's verifier key */
      var vk = parseVkey(vkeyText);
      var idCheck = sha256(concat(enc.encode(vk.name), new Uint8Array([10, 1]), vk.pk)).then(function (h) {
        return hex(h.slice(0, 4)) === vk.id;
      });
      var sig = cp.sigs.filter(function (s) { return s.name === vk.name && hex(s.raw.slice(0, 4)) === vk.id; })[0];
      return idCheck.then(function (idOk) {
        if (!idOk || !sig || vk.name !== cp.origin) return false;
        return ed25519(vk.pk, sig.raw.slice(4), enc.encode(cp.body));
      }).then(function (ok) {
        step(ok, L("Tanda tangan checkpoint oleh log ", "Checkpoint signature by the log ") + vk.name +
          L(" (kunci ", " (key ") + vk.id + ")" + (ok ? L(" sah.", " is valid.") : L(" TIDAK sah.", " is NOT valid.")));
        var wit = cp.sigs.filter(function (s) { return s.raw.length === 76; });
        step(null, wit.length
          ? L("Saksi log yang ikut menandatangani: ", "Log witnesses who cosigned: ") + wit.map(function (w) { return w.name; }).join(", ") +
            L(" (periksa kunci mereka dengan saksi verify --policy).", " (check their keys with saksi verify --policy).")
          : L("Belum ada saksi log yang ikut menandatangani checkpoint ini.", "No log witness has cosigned this checkpoint yet."));
        return entryAt(index, cp.size);
      });
    }).then(function (bytes) {
      entry = bytes;
      /* 2. the entry is the one the page names */
      return sha256(concat(new Uint8Array([0]), entry));
    }).then(function (leaf) {
      step(hex(leaf) === d.leaf, L("Entri #", "Entry #") + index + L(" diambil dari tile log; hash daunnya ", " fetched from the log tiles; its leaf hash ") +
        hex(leaf).slice(0, 16) + "…" + (hex(leaf) === d.leaf ? L(" cocok dengan yang diterbitkan.", " matches the published one.")
                                                              : L(" TIDAK cocok dengan yang diterbitkan.", " does NOT match the published one.")));
      /* 3. inclusion in the checkpoint's tree */
      return rootFromPath(index, cp.size, leaf, cp.path);
    }).then(function (root) {
      var ok = root !== null && equal(root, cp.root);
      step(ok, ok ? L("Bukti inklusi RFC 6962 menghasilkan akar checkpoint: entri ini ada di log.",
                      "The RFC 6962 inclusion proof yields the checkpoint's root: the entry is in the log.")
                  : L("Bukti inklusi TIDAK menghasilkan akar checkpoint.", "The inclusion proof does NOT yield the checkpoint's root."));
      /* 4. the envelope and its Ed25519 signature over the DSSE PAE */
      env = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(entry));
      payload = b64(env.payload);
      var first = env.signatures && env.signatures[0];
      step(env.payloadType === SHEET_TYPE && first && first.keyid === d.keyid,
        L("Amplop berisi formulir C.Hasil, penanda tangan pertama ", "The envelope holds a C.Hasil sheet, first signer ") + (first ? first.keyid.slice(0, 16) : "?") + "….");
      return sha256(concat(enc.encode("saksi-keyid-v1:ed25519:"), pk)).then(function (kid) {
        step(hex(kid) === d.keyid, L("Kunci publik penanda tangan cocok dengan ID kuncinya.", "The signer's public key matches its key id."));
        return ed25519(pk, b64(first.sig), pae(env.payloadType, payload));
      });
    }).then(function (ok) {
      step(ok, ok ? L("Tanda tangan Ed25519 atas formulir (DSSE PAE) sah.", "The Ed25519 signature over the sheet (DSSE PAE) is valid.")
                  : L("Tanda tangan Ed25519 atas formulir TIDAK sah.", "The Ed25519 signature over the sheet is NOT valid."));
      /* 5. the signer's key was enrolled for this TPS (or is its PPK), per the log */
      var at = parseInt(d.enrolled, 10);
      if (isNaN(at)) { step(false, L("Entri pendaftaran kunci tidak diketahui.", "The key's enrolment entry is unknown.")); return null; }
      return entryAt(at, cp.size).then(function (raw) {
        var e = JSON.parse(new TextDecoder().decode(raw)), p = JSON.parse(new TextDecoder().decode(b64(e.payload)));
        var ok = p.key === d.pk && ((e.payloadType === ENROL_TYPE && p.tps === tps) ||
          (e.payloadType === AUTH_TYPE && p.role === "kecamatan" && tps.indexOf(p.scope) === 0));
        step(ok, (e.payloadType === ENROL_TYPE ? L("Kunci didaftarkan untuk TPS ", "The key was enrolled for TPS ") + p.tps
                                               : L("Kunci adalah PPK dengan cakupan ", "The key is a PPK with scope ") + p.scope) +
          L(" di entri log #", " in log entry #") + at + (ok ? "." : L(" — TIDAK cocok.", " — does NOT match.")));
      });
    }).then(function () {
      /* 6. what the API and this page show is what was signed */
      var signed = JSON.parse(new TextDecoder().decode(payload));
      return get("/api/v1/tps/" + encodeURIComponent(tps), "json").then(function (doc) {
        var c = (doc.contests || []).filter(function (x) { return x.contest === d.contest; })[0];
        var ok = !!c && sameJson(c.sheet, signed) && c.current && c.current.index === index;
        step(ok, ok ? L("Formulir yang diterbitkan API sama persis dengan yang ditandatangani.", "The sheet the API publishes is exactly the signed one.")
                    : L("Formulir yang diterbitkan API BERBEDA dari yang ditandatangani.", "The sheet the API publishes DIFFERS from the signed one."));
        var section = box.closest("section") || document, bad = [];
        section.querySelectorAll("td[data-f]").forEach(function (td) {
          if (String(resolve(signed, td.getAttribute("data-f"))) !== td.getAttribute("data-v")) bad.push(td.getAttribute("data-f"));
        });
        step(bad.length === 0, bad.length === 0
          ? L("Semua angka formulir di halaman ini sama dengan yang ditandatangani.", "Every figure of the form on this page equals the signed one.")
          : L("Angka di halaman berbeda dari yang ditandatangani: ", "Figures on this page differ from the signed ones: ") + bad.join(", "));
      });
    }).catch(function (err) {
      step(false, L("Pemeriksaan terhenti: ", "Check stopped: ") + (err && err.message ? err.message : err));
    }).then(finish);
  }

  document.querySelectorAll(".verify").forEach(function (box) {
    var b = box.querySelector("button");
    if (!b || !box.dataset.index) return;
    b.hidden = false;
    b.addEventListener("click", function () {
      b.disabled = true;
      run(box).then(function () { b.disabled = false; });
    });
  });
})();
