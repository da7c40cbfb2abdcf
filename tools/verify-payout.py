#!/usr/bin/env python3
"""Re-run a hashfleet period close from its inputs document, with nothing but Python 3.

    python3 verify-payout.py <inputs.json>... [--holder H] [--json | --outputs]

<inputs.json> is the document a staker downloads (GET /api/v1/periods/<id>/inputs, the exact
bytes its `inputsSha256` covers). The script re-hashes it, recomputes the close with the rules
of the README's Accounting section and prints every payout and the outputs hash, which must
equal the `outputsSha256` on the statement. Standard library only, one file: read it.

  (default)    a readable report per document: hashes; each energy line re-priced (kWh, the
               miner-hours of each source, the rate, kWh x rate, checked against what the close
               bills for it); each cost line in sats; then one line per payout
  --holder H   only holder H's payout (your holder id is on your statement)
  --json       the same facts as one line of canonical JSON per document
  --outputs    the whole outputs document in canonical form (its SHA-256 is the outputs hash)
With --json or --outputs, a refused document prints {"error": ..., "file": ...} on its line.

Canonical form is RFC 8785 (JSON Canonicalization Scheme) for the values these documents hold:
objects with keys sorted by UTF-16 code units, no whitespace, strings escaped as ECMAScript's
JSON.stringify does, numbers formatted as ECMAScript's Number::toString, integers beyond 2^53
(satoshis, HSS units, stake weights) as decimal strings. `tools/verify-payout.mjs` is the same
program for Node. Exit codes: 0 verified, 1 a document is refused, 2 usage.
"""

import argparse
import datetime
import hashlib
import json
import math
import sys
from decimal import Decimal
from fractions import Fraction

INPUTS_V1 = "hashfleet/period-close-inputs@1"
INPUTS_V2 = "hashfleet/period-close-inputs@2"
INPUTS_V3 = "hashfleet/period-close-inputs@3"
OUTPUTS_FOR = {
    INPUTS_V1: "hashfleet/period-close-outputs@1",
    INPUTS_V2: "hashfleet/period-close-outputs@2",
    INPUTS_V3: "hashfleet/period-close-outputs@3",
}
SOURCES = ("estimated", "metered", "reported")
SATS_PER_BTC = 100_000_000
HALVING_INTERVAL = 210_000
RECONCILIATION_TOLERANCE_BPS = 500
INF = float("inf")


class Refused(Exception):
    pass


# ---------------------------------------------------------------- RFC 8785 serialisation


def utf16_key(s):
    """Sort key giving ECMAScript's string order (UTF-16 code units), which RFC 8785 requires."""
    return s.encode("utf-16-be", "surrogatepass")


def es_number(x):
    """ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3)."""
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        raise Refused(f"{x} has no canonical form")
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es_number(-x)
    # repr() gives the shortest digits that round-trip, as ECMAScript requires.
    _, digits, exp = Decimal(repr(x)).as_tuple()
    s = "".join(map(str, digits)).lstrip("0")
    trailing = len(s) - len(s.rstrip("0"))
    s = s.rstrip("0")
    exp += trailing
    k = len(s)
    n = exp + k  # x = 0.s * 10^n
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + s
    e = n - 1
    return s[0] + ("." + s[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))


ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def es_string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch in ESCAPES:
            out.append(ESCAPES[ch])
        elif c < 0x20:
            out.append("\\u%04x" % c)
        elif 0xD800 <= c <= 0xDFFF:
            raise Refused("a string holds a lone surrogate, which has no canonical form")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canonical(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return es_string(v)
    if isinstance(v, (int, float)):
        return es_number(v)
    if isinstance(v, list):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v.keys(), key=utf16_key)
        return "{" + ",".join(es_string(k) + ":" + canonical(v[k]) for k in keys) + "}"
    raise TypeError(f"no canonical form for {type(v).__name__}")


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- the inputs document

# Field -> kind. "big" is an integer written as a decimal string; "ms" a non-negative integer.
RECORDS = {
    "period": {"id": "str", "startMs": "ms", "endMs": "ms"},
    "rule": {
        "version": "int",
        "stakerBps": "bps",
        "reinvestBps": "bps",
        "operatorBps": "bps",
        "lossRule": ("carry_forward", "pay_zero"),
        "minNodeCollateralUnits": "ubig",
    },
    "credits": {"id": "str", "pool": "str", "reference": "str", "amountSats": "big"},
    "energy": {
        "siteId": "str",
        "hourStartMs": "ms",
        "provenance": ("reported", "estimated", "metered"),
        "energyWh": "uint",
        "currency": "str",
        "ratePerKwhMicro": "ubig",
    },
    "otherCosts": {"id": "str", "description": "str", "currency": "str", "amount": "big"},
    # @3: one line per container-hour, Wh and miner-hours of each source.
    "energyByContainer": {
        "siteId": "str",
        "containerId": "str",
        "hourStartMs": "ms",
        "meteredWh": "uint",
        "reportedWh": "uint",
        "estimatedWh": "uint",
        "meteredMinerHours": "uint",
        "reportedMinerHours": "uint",
        "estimatedMinerHours": "uint",
        "currency": "str",
        "ratePerKwhMicro": "ubig",
    },
    "btcPrices": {"currency": "str", "priceMicro": "ubig", "source": "str", "observedAtMs": "ms"},
    "nodes": {"id": "str", "kind": ("solo", "shared")},
    "stakes": {"seq": "int", "holder": "str", "nodeId": "str", "amountUnits": "ubig", "effectiveAtMs": "ms"},
    "work": {"hourStartMs": "ms", "diff1Shares": "unum"},
    "network": {
        "difficulty": "pnum",
        "blockHeight": "uint",
        "feesPerBlockSats": "ubig",
        "source": "str",
        "observedAtMs": "ms",
    },
}
LISTS = ("credits", "energy", "otherCosts", "btcPrices", "nodes", "stakes", "work")
MAX_SAFE = 2**53 - 1


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def field(kind, v, where):
    """Checks one field; returns its value for computing (big -> int)."""
    if isinstance(kind, tuple):
        if v not in kind:
            raise Refused(f"{where}: {json.dumps(v)} must be one of {', '.join(kind)}")
        return v
    if kind == "str":
        if not isinstance(v, str):
            raise Refused(f"{where}: must be a string")
        return v
    if kind in ("big", "ubig"):
        ok = isinstance(v, str) and v.isascii() and (v.lstrip("-") if kind == "big" else v).isdigit()
        if not ok or (kind == "big" and v.count("-") > 1) or (v.startswith("-") and kind == "ubig"):
            raise Refused(f"{where}: must be {'a non-negative' if kind == 'ubig' else 'an'} integer in decimal")
        return int(v)
    if not is_num(v) or math.isnan(v) or math.isinf(v):
        raise Refused(f"{where}: must be a number")
    if kind in ("int", "uint", "ms", "bps"):
        if float(v) != math.floor(v) or abs(v) > MAX_SAFE:
            raise Refused(f"{where}: must be an integer")
        v = int(v)
        if kind in ("uint", "ms") and v < 0:
            raise Refused(f"{where}: must not be negative")
        if kind == "bps" and not 0 <= v <= 10_000:
            raise Refused(f"{where}: must be 0..10000")
        return v
    if kind == "unum" and v < 0:
        raise Refused(f"{where}: must not be negative")
    if kind == "pnum" and v <= 0:
        raise Refused(f"{where}: must be positive")
    return float(v)


def record(shape, v, where):
    """-> (values for computing, the record as the controller re-serialises it)."""
    if not isinstance(v, dict):
        raise Refused(f"{where}: must be an object")
    extra = sorted(set(v) - set(shape), key=utf16_key)
    if extra:
        raise Refused(f"{where}: unknown field {extra[0]}")
    values, doc = {}, {}
    for name, kind in shape.items():
        if name not in v:
            raise Refused(f"{where}.{name}: missing")
        values[name] = field(kind, v[name], f"{where}.{name}")
        doc[name] = str(values[name]) if kind in ("big", "ubig") else v[name]
    return values, doc


def parse_inputs(raw):
    """The inputs document -> (values, normalised document), refusing what the controller refuses."""
    if not isinstance(raw, dict):
        raise Refused("$: must be an object")
    schema = raw.get("schema")
    if schema not in OUTPUTS_FOR:
        raise Refused(f"$.schema: {json.dumps(schema)} is not one of {', '.join(OUTPUTS_FOR)}")
    shapes = dict(RECORDS)
    by_container = shapes.pop("energyByContainer")
    if schema != INPUTS_V1:
        shapes["stakes"] = {**RECORDS["stakes"], "recordedAtMs": "ms"}
    if schema == INPUTS_V3:
        shapes["energy"] = by_container
    top = ["schema", "lossCarriedInSats", "network", *shapes]
    extra = sorted(set(raw) - set(top), key=utf16_key)
    if extra:
        raise Refused(f"$: unknown field {extra[0]}")
    values, doc = {"schema": schema}, {"schema": schema}
    for name, shape in shapes.items():
        if name == "network":
            continue
        if name not in raw:
            raise Refused(f"$.{name}: missing")
        if name in LISTS:
            if not isinstance(raw[name], list):
                raise Refused(f"$.{name}: must be an array")
            pairs = [record(shape, x, f"$.{name}[{i}]") for i, x in enumerate(raw[name])]
            values[name] = [p[0] for p in pairs]
            doc[name] = [p[1] for p in pairs]
        else:
            values[name], doc[name] = record(shape, raw[name], f"$.{name}")
    if "lossCarriedInSats" not in raw:
        raise Refused("$.lossCarriedInSats: missing")
    values["lossCarriedInSats"] = field("ubig", raw["lossCarriedInSats"], "$.lossCarriedInSats")
    doc["lossCarriedInSats"] = str(values["lossCarriedInSats"])
    if "network" not in raw:
        raise Refused("$.network: missing")
    if raw["network"] is None:
        values["network"] = doc["network"] = None
    else:
        values["network"], doc["network"] = record(shapes["network"], raw["network"], "$.network")
    return values, doc


# ---------------------------------------------------------------- the close (README, Accounting)


def ceil_div(a, b):
    return 0 if a == 0 else (a + b - 1) // b


def trunc_div(a, b):
    """Integer division rounding toward zero, as bigint division does in ECMAScript."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def price_for(inputs, currency):
    for p in inputs["btcPrices"]:
        if p["currency"] == currency:
            if p["priceMicro"] <= 0:
                raise Refused("BTC price must be positive")
            return p["priceMicro"]
    raise Refused(f"period {inputs['period']['id']}: no BTC price in {currency} to convert its costs")


def cost_lines(inputs):
    by_site = {}
    for e in inputs["energy"]:
        s = by_site.setdefault(e["siteId"], {"milli_micro": 0, "currency": e["currency"], "wh": {}})
        # Wh per source are summed as doubles, as the controller sums them.
        if s["currency"] != e["currency"]:
            raise Refused(f"site {e['siteId']}: tariff currency changed within the period")
        # Up to @2 a line is one source; from @3 each source with miner-hours is a part of the line.
        if inputs["schema"] == INPUTS_V3:
            parts = [(p, e[f"{p}Wh"]) for p in SOURCES if e[f"{p}MinerHours"] > 0]
        else:
            parts = [(e["provenance"], e["energyWh"])]
        for p, wh in parts:
            s["milli_micro"] += wh * e["ratePerKwhMicro"]
            s["wh"][p] = s["wh"].get(p, 0.0) + float(wh)
    lines = []
    for site in sorted(by_site, key=utf16_key):
        s = by_site[site]
        wh = ", ".join(f"{p} {es_number(v)} Wh" for p, v in sorted(s["wh"].items(), key=lambda x: utf16_key(x[0])))
        price = price_for(inputs, s["currency"])
        lines.append(
            {
                "account": f"expense:energy:{site}",
                "sats": ceil_div(s["milli_micro"] * SATS_PER_BTC, price * 1000),
                "detail": f"{wh}; {s['milli_micro'] // 1000} micro-{s['currency']}",
            }
        )
    for c in sorted(inputs["otherCosts"], key=lambda c: utf16_key(c["id"])):
        if c["amount"] < 0:
            raise Refused(f"period {inputs['period']['id']}: cost {c['id']} is negative")
        if c["currency"] == "BTC":
            sats = c["amount"]
        else:
            sats = ceil_div(c["amount"] * SATS_PER_BTC, price_for(inputs, c["currency"]))
        lines.append({"account": f"expense:other:{c['id']}", "sats": sats, "detail": c["description"]})
    return lines


def steps(changes):
    """(at, level) changes in time order -> segments [from, to, level]; the last change at a time wins."""
    out = []
    for at, level in changes:
        if out and out[-1][0] == at:
            out[-1][2] = level
            continue
        if out:
            out[-1][1] = at
        out.append([at, INF, level])
    return out


def timeline(inputs):
    """Holdings (holder, node) as step functions, and each node's total collateral."""
    known = {n["id"] for n in inputs["nodes"]}
    by_holding = {}
    for e in inputs["stakes"]:
        if e["nodeId"] not in known:
            raise Refused(f"stake entry {e['seq']}: unknown node {e['nodeId']}")
        by_holding.setdefault((e["holder"], e["nodeId"]), []).append(e)
    holdings = {}
    deltas = {}
    for key, entries in by_holding.items():
        entries.sort(key=lambda e: (e["effectiveAtMs"], e["seq"]))
        segs = steps([(e["effectiveAtMs"], e["amountUnits"]) for e in entries])
        holdings[key] = segs
        previous = 0
        for f, _, level in segs:
            deltas.setdefault(key[1], []).append((f, level - previous))
            previous = level
    nodes = {}
    minimum = inputs["rule"]["minNodeCollateralUnits"]
    for node, ds in deltas.items():
        ds.sort(key=lambda d: d[0])
        total, changes = 0, []
        for at, d in ds:
            total += d
            changes.append((at, total))
        nodes[node] = [(f, t, level >= minimum) for f, t, level in steps(changes)]
    return holdings, nodes


def weights(holdings, nodes, start, end):
    """Σ units x whole eligible seconds per holder and per node over [start, end)."""
    windows = {}
    for node, segs in nodes.items():
        windows[node] = [(max(f, start), min(t, end)) for f, t, ok in segs if ok and min(t, end) > max(f, start)]
    by_holder, by_node, total = {}, {}, 0
    for (holder, node), segs in holdings.items():
        acc = 0
        for f, t, level in segs:
            if level == 0 or t <= start or f >= end:
                continue
            for a, b in windows.get(node, []):
                lo, hi = max(f, a), min(t, b)
                if hi > lo:
                    acc += level * int((hi - lo) // 1000)
        if acc == 0:
            continue
        by_holder[holder] = by_holder.get(holder, 0) + acc
        by_node[node] = by_node.get(node, 0) + acc
        total += acc
    return by_holder, by_node, total


def solo_conflict(inputs, holdings, start, end):
    """First instant in [start, end) at which a solo node has two holders with stake, or None."""
    solo = sorted((n["id"] for n in inputs["nodes"] if n["kind"] == "solo"), key=utf16_key)
    for node in solo:
        events = []
        for (holder, n), segs in holdings.items():
            if n != node:
                continue
            for f, t, level in segs:
                lo, hi = max(f, start), min(t, end)
                if level > 0 and hi > lo:
                    events.append((lo, 1, holder))
                    events.append((hi, 0, holder))
        active = {}
        for at, kind, holder in sorted(events, key=lambda x: (x[0], x[1])):
            if kind == 0:
                active[holder] -= 1
                if active[holder] == 0:
                    del active[holder]
                continue
            active[holder] = active.get(holder, 0) + 1
            if len(active) > 1:
                return node, sorted(active, key=utf16_key), at
    return None


def apportion(total, by_key):
    """Floors, then one satoshi each to the largest remainders, ties to the smaller key."""
    w_sum = sum(by_key.values())
    parts, rems = {}, []
    for key, w in by_key.items():
        q, r = divmod(total * w, w_sum)
        parts[key] = q
        rems.append((r, key))
    leftover = total - sum(parts.values())
    rems.sort(key=lambda x: utf16_key(x[1]))
    rems.sort(key=lambda x: x[0], reverse=True)  # stable: equal remainders keep key order
    for _, key in rems[:leftover]:
        parts[key] += 1
    return parts


def block_subsidy(height):
    halvings = height // HALVING_INTERVAL
    return 0 if halvings >= 64 else (50 * SATS_PER_BTC) >> halvings


def expected_sats(schema, diff1, network):
    reward = block_subsidy(network["blockHeight"]) + network["feesPerBlockSats"]
    if schema == INPUTS_V1:
        # Version 1 floored a float product; kept so that periods closed under it still verify.
        return math.floor((diff1 / network["difficulty"]) * float(reward))
    # Exact: both doubles are rationals, so the floor is exact.
    return math.floor(Fraction(diff1) * reward / Fraction(network["difficulty"]))


def journal(period_id, credited, costs, loss_in, loss_out, payouts, reinvest, operator, unallocated):
    lines = []

    def add(tx, account, debit, credit, memo):
        if debit == 0 and credit == 0:
            return
        lines.append({"tx": f"{period_id}/{tx}", "account": account, "debitSats": debit, "creditSats": credit, "memo": memo})

    add("credit", "asset:pool_receivable", credited, 0, "BTC credited by the pool")
    add("credit", "income:mining", 0, credited, "BTC credited by the pool")
    for c in costs:
        add("costs", c["account"], c["sats"], 0, c["detail"])
    add("costs", "liability:opex_payable", 0, sum(c["sats"] for c in costs), "operating costs of the period")
    add("close", "income:mining", credited, 0, "close income")
    for c in costs:
        add("close", c["account"], 0, c["sats"], "close expense")
    add("close", "equity:loss_carryforward", loss_out, loss_in, "loss carried out / in")
    for p in payouts:
        add("close", f"liability:staker:{p['holder']}", 0, p["sats"], "staker share")
    add("close", "equity:staker_unallocated", 0, unallocated, "staker share with no eligible stake")
    add("close", "equity:reinvest", 0, reinvest, "reinvestment share")
    if operator >= 0:
        add("close", "equity:operator", 0, operator, "operator share")
    else:
        add("close", "equity:operator", -operator, 0, "loss absorbed by the operator (pay_zero rule)")
    sums = {}
    for line in lines:
        if line["debitSats"] < 0 or line["creditSats"] < 0:
            raise Refused(f"period {period_id}: journal has a negative amount")
        sums[line["tx"]] = sums.get(line["tx"], 0) + line["debitSats"] - line["creditSats"]
    if any(sums.values()):
        raise Refused(f"period {period_id}: journal does not balance")
    return lines


def close(inputs, inputs_sha256):
    period, rule = inputs["period"], inputs["rule"]
    if rule["stakerBps"] + rule["reinvestBps"] + rule["operatorBps"] != 10_000:
        raise Refused(f"rule {rule['version']}: shares must sum to 10000 bps")
    credited = sum(c["amountSats"] for c in inputs["credits"])
    if credited < 0:
        raise Refused(f"period {period['id']}: credited total is negative")
    costs = cost_lines(inputs)
    costs_sats = sum(c["sats"] for c in costs)
    loss_in = inputs["lossCarriedInSats"]
    net = credited - costs_sats - loss_in
    pool = reinvest = operator = loss_out = 0
    if net >= 0:
        pool = net * rule["stakerBps"] // 10_000
        reinvest = net * rule["reinvestBps"] // 10_000
        operator = net - pool - reinvest
    elif rule["lossRule"] == "carry_forward":
        loss_out = -net
    else:
        operator = net

    holdings, nodes = timeline(inputs)
    if inputs["schema"] != INPUTS_V1:
        conflict = solo_conflict(inputs, holdings, period["startMs"], period["endMs"])
        if conflict:
            node, holders, at = conflict
            raise Refused(
                f"period {period['id']}: solo node {node} has more than one staker at {at} ms: holders {', '.join(holders)}"
            )
    by_holder, by_node, total = weights(holdings, nodes, period["startMs"], period["endMs"])
    unallocated = 0
    payouts = []
    if total == 0:
        unallocated = pool
    else:
        parts = apportion(pool, by_holder) if pool > 0 else {}
        for holder in sorted(by_holder, key=utf16_key):
            payouts.append({"holder": holder, "weight": by_holder[holder], "sats": parts.get(holder, 0)})

    diff1 = 0.0
    for w in inputs["work"]:
        diff1 += w["diff1Shares"]
    seconds = (period["endMs"] - period["startMs"]) / 1000
    hashrate = (diff1 * 2.0**32) / seconds / 1e12 if seconds > 0 else 0
    reconciliation = None
    if inputs["network"] is not None:
        expected = expected_sats(inputs["schema"], diff1, inputs["network"])
        shortfall = expected - credited
        bps = trunc_div(shortfall * 10_000, expected) if expected > 0 else 0
        reconciliation = {
            "expectedSats": expected,
            "creditedSats": credited,
            "shortfallSats": shortfall,
            "shortfallBps": bps,
            "flagged": bps > RECONCILIATION_TOLERANCE_BPS,
        }
    lines = journal(period["id"], credited, costs, loss_in, loss_out, payouts, reinvest, operator, unallocated)
    return {
        "schema": OUTPUTS_FOR[inputs["schema"]],
        "periodId": period["id"],
        "inputsSha256": inputs_sha256,
        "ruleVersion": rule["version"],
        "creditedSats": credited,
        "costs": costs,
        "costsSats": costs_sats,
        "lossCarriedInSats": loss_in,
        "netSats": net,
        "stakerPoolSats": pool,
        "reinvestSats": reinvest,
        "operatorSats": operator,
        "unallocatedSats": unallocated,
        "lossCarriedOutSats": loss_out,
        "totalWeight": total,
        "fleet": {"diff1Shares": diff1, "hashrateThs": hashrate},
        "nodes": [{"nodeId": n, "weight": by_node[n]} for n in sorted(by_node, key=utf16_key)],
        "payouts": payouts,
        "reconciliation": reconciliation,
        "journal": lines,
    }


# Money, units and weights are integers of any size: written as decimal strings.
INTEGER_FIELDS = {
    "creditedSats", "costsSats", "lossCarriedInSats", "netSats", "stakerPoolSats", "reinvestSats",
    "operatorSats", "unallocatedSats", "lossCarriedOutSats", "totalWeight", "sats", "weight",
    "expectedSats", "shortfallSats", "debitSats", "creditSats",
}  # fmt: skip


def as_document(v, name=None):
    if isinstance(v, dict):
        return {k: as_document(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [as_document(x) for x in v]
    if name in INTEGER_FIELDS:
        return str(v)
    return v


# ---------------------------------------------------------------- command line


# ---------------------------------------------------------------- energy lines, re-priced by hand


def decimal(n, places):
    """A non-negative integer scaled by 10^places, written with that many decimals."""
    t = str(n).zfill(places + 1)
    return f"{t[:-places]}.{t[-places:]}"


def hour_text(ms):
    """An hour as YYYY-MM-DDTHH:MMZ (UTC); past the year 9999, its milliseconds."""
    if ms >= 253_402_300_800_000:
        return f"{ms} ms"
    d = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}Z"


# Priority order of the sources, as a line lists its miner-hours.
SHOWN = ["metered", "reported", "estimated"]


def energy_lines(inputs):
    """Each energy line as a staker re-prices it from what the line shows (README, Accounting): kWh
    (its Wh / 1000, exact to 3 decimals) x its rate = its cost, in the line's currency. That must be
    what the close bills for the line, the Wh of its sources with miner-hours at the same rate; a
    line whose Wh the close would not bill (a source with Wh and no miner-hours) is refused, named."""
    v3 = inputs["schema"] == INPUTS_V3
    out = []
    for e in inputs["energy"]:
        line = f"{e['siteId']}/{e['containerId']}" if v3 else e["siteId"]
        line = f"{line} {hour_text(e['hourStartMs'])}"
        if v3:
            shown_wh = sum(e[f"{p}Wh"] for p in SHOWN)
            billed_wh = sum(e[f"{p}Wh"] for p in SHOWN if e[f"{p}MinerHours"] > 0)
        else:
            shown_wh = billed_wh = e["energyWh"]
        kwh = decimal(shown_wh, 3)
        rate = decimal(e["ratePerKwhMicro"], 6)
        # From the printed figures, as by hand: kWh in Wh times the rate in micro-units = 10^-9 units.
        cost = decimal(int(kwh.replace(".", "")) * int(rate.replace(".", "")), 9)
        billed = decimal(billed_wh * e["ratePerKwhMicro"], 9)
        # Refused even where the costs agree (a rate of 0): the close refuses the line (close.ts).
        if cost != billed or shown_wh != billed_wh:
            raise Refused(
                f"energy line {line}: {kwh} kWh x {rate} {e['currency']}/kWh = {cost} {e['currency']}, "
                f"but the close bills {billed} {e['currency']}: {shown_wh - billed_wh} Wh of a source with no miner-hours"
            )
        sources = ", ".join(f"{p} {e[f'{p}MinerHours']} h" for p in SHOWN) if v3 else e["provenance"]
        out.append(
            {"line": line, "kWh": kwh, "sources": sources, "ratePerKwh": rate, "currency": e["currency"], "cost": cost}
        )
    return out


def no_constants(name):
    raise Refused(f"{name} is not JSON")


def verify(data):
    """Bytes of an inputs document -> (report, outputs text)."""
    try:
        raw = json.loads(data.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise Refused(f"not JSON: {e}") from None
    inputs, doc = parse_inputs(raw)
    inputs_sha256 = sha256_hex(canonical(doc))
    outputs = as_document(close(inputs, inputs_sha256))
    outputs_text = canonical(outputs)
    report = {
        "periodId": outputs["periodId"],
        "fileSha256": hashlib.sha256(data).hexdigest(),
        "inputsSha256": inputs_sha256,
        "outputsSha256": sha256_hex(outputs_text),
        "energy": energy_lines(inputs),
        "costs": outputs["costs"],
        "stakerPoolSats": outputs["stakerPoolSats"],
        "payouts": outputs["payouts"],
    }
    return report, outputs_text


def readable(report, holder):
    payouts = [p for p in report["payouts"] if holder is None or p["holder"] == holder]
    canonical_note = "" if report["fileSha256"] == report["inputsSha256"] else "  (the file is not in canonical form)"
    out = [
        f"period          {report['periodId']}",
        f"file sha256     {report['fileSha256']}",
        f"inputs sha256   {report['inputsSha256']}{canonical_note}",
        f"outputs sha256  {report['outputsSha256']}",
    ]
    out += [
        f"energy {e['line']}  {e['kWh']} kWh ({e['sources']}) x {e['ratePerKwh']} {e['currency']}/kWh = {e['cost']} {e['currency']}"
        for e in report["energy"]
    ]
    out += [f"cost {c['account']} {c['sats']} sats ({c['detail']})" for c in report["costs"]]
    out += [
        f"staker pool     {report['stakerPoolSats']} sats",
    ]
    out += [f"payout {p['holder']} {p['sats']} sats (weight {p['weight']} HSS units x s)" for p in payouts]
    if holder is not None and not payouts:
        out.append(f"payout {holder} none: no eligible stake in this period")
    return "\n".join(out)


def main(argv):
    parser = argparse.ArgumentParser(prog="verify-payout.py", description="Re-run a hashfleet period close.")
    parser.add_argument("inputs", nargs="+", help="inputs documents (GET /api/v1/periods/<id>/inputs)")
    parser.add_argument("--holder", help="print only this holder's payout")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="one line of canonical JSON per document")
    mode.add_argument("--outputs", action="store_true", help="the canonical outputs document, one per line")
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    code = 0
    for i, path in enumerate(args.inputs):
        try:
            with open(path, "rb") as f:
                report, outputs_text = verify(f.read())
        except (OSError, Refused) as e:
            message = e.strerror if isinstance(e, OSError) else str(e)
            sys.stderr.write(f"{path}: {message}\n")
            if args.json or args.outputs:
                sys.stdout.write(canonical({"error": message, "file": path}) + "\n")
            code = 1
            continue
        if args.outputs:
            sys.stdout.write(outputs_text + "\n")
        elif args.json:
            if args.holder is not None:
                report["payouts"] = [p for p in report["payouts"] if p["holder"] == args.holder]
            sys.stdout.write(canonical(report) + "\n")
        else:
            sys.stdout.write(("\n" if i else "") + readable(report, args.holder) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
