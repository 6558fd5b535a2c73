#!/usr/bin/python3
"""Compute golden GPT-2 outputs and gradients with PyTorch for src/reference/golden.test.ts.

Reads the JSON written by export-params.ts (config, flat parameters, one batch and
selection cases), runs an independent float64 GPT-2 written in plain torch, and writes
per case the per-token losses and entropies, the masked-mean loss
L = (1/k)·Σ_j mask_j·loss_j, and dL/dθ for every parameter tensor in the same flat
layout as the parameters (padding 0).

Usage: /usr/bin/python3 scripts/golden/make_gpt2_fixture.py INPUT.json OUTPUT.json
Needs Debian's python3-torch (written against 1.13.1).
"""

import argparse
import json
import math

import torch
import torch.nn.functional as F

LAYERNORM_EPS = 1e-5
# Offsets of tensors and of per-layer slices are multiples of 64 elements, as
# ALIGN_ELEMENTS in src/model/layout.ts sets (256 bytes of float32).
ALIGN_ELEMENTS = 64
# Significant digits kept in the fixture: rounding adds a relative error of at most
# 5e-12, far below the test's 1e-9 relative tolerance, and keeps the file near 370 kB.
OUTPUT_DIGITS = 12


def tensor_shapes(config):
    """Return (name, shape, per_layer) for every parameter tensor, in flat-buffer order.

    Weight matrices are (out, in). Per-layer tensors have a leading dimension L.
    """
    L, C = config["nLayer"], config["nEmbd"]
    V, max_t = config["vocabSize"], config["blockSize"]
    return [
        ("wte", [V, C], False),
        ("wpe", [max_t, C], False),
        ("ln1w", [L, C], True),
        ("ln1b", [L, C], True),
        ("qkvw", [L, 3 * C, C], True),
        ("qkvb", [L, 3 * C], True),
        ("attprojw", [L, C, C], True),
        ("attprojb", [L, C], True),
        ("ln2w", [L, C], True),
        ("ln2b", [L, C], True),
        ("fcw", [L, 4 * C, C], True),
        ("fcb", [L, 4 * C], True),
        ("fcprojw", [L, C, 4 * C], True),
        ("fcprojb", [L, C], True),
        ("lnfw", [C], False),
        ("lnfb", [C], False),
    ]


def align(elements):
    return -(-elements // ALIGN_ELEMENTS) * ALIGN_ELEMENTS


def flat_layout(config):
    """Return the flat-buffer layout: a list of per-tensor entries and the total length.

    Each tensor starts at an offset that is a multiple of 64. A per-layer tensor stores
    its L slices (layer_size real elements each) layer_stride = align(layer_size) apart,
    with zero padding between slices, and the next tensor starts at
    align(offset + layer_stride·(L−1) + layer_size). Other tensors occupy count elements.
    """
    entries = []
    offset = 0
    for name, shape, per_layer in tensor_shapes(config):
        count = math.prod(shape)
        layers = shape[0] if per_layer else 1
        layer_size = count // layers
        layer_stride = align(layer_size)
        size = layer_stride * (layers - 1) + layer_size
        entries.append({
            "name": name,
            "shape": shape,
            "offset": offset,
            "layers": layers,
            "layer_size": layer_size,
            "layer_stride": layer_stride,
        })
        offset += align(size)
    return entries, offset


def unpack(flat, entries):
    """Return a dict of leaf tensors (requires_grad) cut out of the flat float64 list."""
    tensors = {}
    for entry in entries:
        slices = []
        for layer in range(entry["layers"]):
            start = entry["offset"] + layer * entry["layer_stride"]
            slices.extend(flat[start:start + entry["layer_size"]])
        tensor = torch.tensor(slices, dtype=torch.float64).reshape(entry["shape"])
        tensors[entry["name"]] = tensor.requires_grad_(True)
    return tensors


def pack(tensors, entries, total):
    """Return a flat list in the same layout as the parameters, padding 0."""
    flat = [0.0] * total
    for entry in entries:
        values = tensors[entry["name"]].detach().reshape(-1).tolist()
        for layer in range(entry["layers"]):
            start = entry["offset"] + layer * entry["layer_stride"]
            chunk = values[layer * entry["layer_size"]:(layer + 1) * entry["layer_size"]]
            flat[start:start + entry["layer_size"]] = chunk
    return flat


def causal_self_attention(x, qkvw, qkvb, projw, projb, n_head):
    """Multi-head causal self-attention on x (B,T,C) with packed q, k, v projections."""
    B, T, C = x.shape
    head_size = C // n_head
    qkv = F.linear(x, qkvw, qkvb)  # (B,T,3C): q in [0,C), k in [C,2C), v in [2C,3C)
    q, k, v = qkv.split(C, dim=2)

    def heads(t):
        # Head h takes channels h·HS..(h+1)·HS: (B,T,C) -> (B,NH,T,HS).
        return t.view(B, T, n_head, head_size).transpose(1, 2)

    q, k, v = heads(q), heads(k), heads(v)
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(head_size)
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(future, float("-inf"))
    y = F.softmax(scores, dim=-1) @ v  # (B,NH,T,HS)
    y = y.transpose(1, 2).reshape(B, T, C)
    return F.linear(y, projw, projb)


def gpt2_logits(p, inputs, config):
    """Return logits (B,T,V) of a pre-LN GPT-2 whose LM head is tied to wte."""
    C = config["nEmbd"]
    T = inputs.shape[1]
    x = p["wte"][inputs] + p["wpe"][:T]
    for layer in range(config["nLayer"]):
        h = F.layer_norm(x, (C,), p["ln1w"][layer], p["ln1b"][layer], LAYERNORM_EPS)
        x = x + causal_self_attention(h, p["qkvw"][layer], p["qkvb"][layer],
                                      p["attprojw"][layer], p["attprojb"][layer], config["nHead"])
        h = F.layer_norm(x, (C,), p["ln2w"][layer], p["ln2b"][layer], LAYERNORM_EPS)
        h = F.gelu(F.linear(h, p["fcw"][layer], p["fcb"][layer]), approximate="tanh")
        x = x + F.linear(h, p["fcprojw"][layer], p["fcprojb"][layer])
    x = F.layer_norm(x, (C,), p["lnfw"], p["lnfb"], LAYERNORM_EPS)
    return x @ p["wte"].T


def rounded(values):
    return [float(f"{v:.{OUTPUT_DIGITS}g}") for v in values]


def run_case(flat_params, entries, total, data, case):
    """Return the fixture entry of one selection case: outputs and gradients."""
    config = data["config"]
    B, T = data["B"], data["T"]
    inputs = torch.tensor(data["inputs"], dtype=torch.long).view(B, T)
    targets = torch.tensor(data["targets"], dtype=torch.long).view(B, T)
    mask = torch.tensor(case["mask"], dtype=torch.float64)
    k = case["k"]

    params = unpack(flat_params, entries)
    logits = gpt2_logits(params, inputs, config).reshape(B * T, -1)
    losses = F.cross_entropy(logits, targets.reshape(-1), reduction="none")
    log_probs = F.log_softmax(logits, dim=-1)
    entropies = -(log_probs.exp() * log_probs).sum(dim=-1)
    loss = (mask * losses).sum() / k
    loss.backward()

    grads = {name: tensor.grad for name, tensor in params.items()}
    return {
        "name": case["name"],
        "mask": case["mask"],
        "k": k,
        "loss": rounded([loss.item()])[0],
        "losses": rounded(losses.tolist()),
        "entropies": rounded(entropies.tolist()),
        "grads": rounded(pack(grads, entries, total)),
    }


def write_fixture(path, fixture):
    """Write compact JSON with one top-level key, or one case key, per line."""
    def dump(value):
        return json.dumps(value, separators=(",", ":"))

    lines = ["{"]
    keys = [key for key in fixture if key != "cases"]
    for key in keys:
        lines.append(f"  {dump(key)}: {dump(fixture[key])},")
    lines.append('  "cases": [')
    for index, case in enumerate(fixture["cases"]):
        fields = [f"    {dump(key)}: {dump(value)}" for key, value in case.items()]
        closing = "  }," if index + 1 < len(fixture["cases"]) else "  }"
        lines.extend(["  {", ",\n".join(fields), closing])
    lines.extend(["  ]", "}"])
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="JSON written by scripts/golden/export-params.ts")
    parser.add_argument("output", help="fixture path, normally src/reference/fixtures/gpt2-tiny.json")
    args = parser.parse_args()

    with open(args.input, encoding="utf-8") as handle:
        data = json.load(handle)
    entries, total = flat_layout(data["config"])
    if len(data["params"]) != total:
        raise SystemExit(f"invalid input: {len(data['params'])} parameters, the layout needs {total}. "
                         "Regenerate the input with scripts/golden/export-params.ts.")

    fixture = {
        "generator": f"scripts/golden/make_gpt2_fixture.py, torch {torch.__version__}",
        "config": data["config"],
        "B": data["B"],
        "T": data["T"],
        "inputs": data["inputs"],
        "targets": data["targets"],
        "params": data["params"],
        "cases": [run_case(data["params"], entries, total, data, case) for case in data["cases"]],
    }
    write_fixture(args.output, fixture)
    for case in fixture["cases"]:
        print(f"{case['name']}: loss {case['loss']}, k {case['k']}")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
