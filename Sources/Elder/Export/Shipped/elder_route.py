#!/usr/bin/env python3
"""Reference loader for an `elder export` folder: answers prompts as `elder ask` does.

For each prompt it computes the deferral query with the base model, applies the routing rule of README.md
(numpy, from routing.safetensors and elder-export.json), and generates greedily: through the matched edit's
LoRAs (from the last prompt token on, until the edit's answer is out) or through the base model alone.
The model runs in PyTorch through transformers, which reads the GGUF file and dequantizes it to float32.

    python3 elder_route.py EXPORT_DIR --model MODEL.gguf "The capital of France is"
    python3 elder_route.py EXPORT_DIR --model MODEL.gguf --prompts prompts.txt --json

Needs: numpy, safetensors, torch, transformers (with accelerate, to read a GGUF), gguf.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
from safetensors.numpy import load_file


class ExportError(Exception):
    """An export this loader cannot use, with what to do."""


class Export:
    """The manifest, the routing vectors and each edit's LoRAs (numpy)."""

    def __init__(self, folder):
        path = os.path.join(folder, "elder-export.json")
        try:
            with open(path, encoding="utf-8") as f:
                self.manifest = json.load(f)
        except OSError as e:
            raise ExportError(f"{path}: {e.strerror}; give the folder `elder export --out` wrote")
        m = self.manifest
        if m.get("format") != "elder-export" or m.get("version") != 2:
            raise ExportError(f"{path} is not an elder export of version 2; export again with this elder")
        self.rule = m.get("rule") or {}
        if self.rule.get("deferral") != "similarity-margin" or self.rule.get("routing") != "matched-allocation":
            raise ExportError(f"this loader implements Elder's default rule only (similarity-margin deferral, matched-allocation "
                              f"routing); this export uses method {m['editor']['method']}: README.md describes its rule")
        if self.rule.get("querySource") != "residual" or self.rule.get("queryPooling") not in ("mean", "last-token"):
            raise ExportError("this loader reads residual queries only; README.md describes the others")
        tensors = load_file(os.path.join(folder, m["routing"]["path"])) if m.get("routing") else {}
        self.centre = tensors.get("centre")
        self.scale = tensors.get("scale")
        self.projection = tensors.get("projection")
        self.edits = m["edits"]
        # Every key in the order ties are broken: reference keys first, then each edit's keys in edit order.
        keys, owners = [], []
        if "reference_keys" in tensors:
            keys.append(tensors["reference_keys"])
            owners += [-1] * len(tensors["reference_keys"])
        for i, edit in enumerate(self.edits):
            if edit.get("keys"):
                keys.append(tensors[edit["keys"]])
                owners += [i] * len(tensors[edit["keys"]])
        self.keys = np.concatenate(keys).astype(np.float64) if keys else np.zeros((0, 1))
        self.owners = np.array(owners, dtype=np.int64)
        self.folder = folder
        self.adapters = {}

    def normalize(self, q):
        """Step 3: centre, scale, whiten (an uncentred query is compared as it is)."""
        x = np.asarray(q, dtype=np.float32)
        if not self.rule.get("centred") or self.centre is None:
            return x.astype(np.float64)
        x = x - self.centre
        if self.scale is not None:
            x = x * self.scale
        if self.projection is not None:
            return self.projection.astype(np.float64) @ x.astype(np.float64)
        return x.astype(np.float64)

    def route(self, q):
        """Steps 3-6: the matched edit's index when the adapter fires (else None), and why."""
        x = self.normalize(q)
        norms = np.linalg.norm(self.keys, axis=1) * np.linalg.norm(x)
        sims = np.divide(self.keys @ x, norms, out=np.zeros(len(self.keys)), where=norms > 0)
        why = {"fired": False}
        edit_keys = np.nonzero(self.owners >= 0)[0]
        if len(edit_keys) == 0:
            return None, why
        best_key = edit_keys[len(edit_keys) - 1 - int(np.argmax(sims[edit_keys][::-1]))]  # ties: the later key
        best = int(self.owners[best_key])
        s = float(sims[best_key])
        reference = sims[self.owners < 0]
        r = float(reference.max()) if len(reference) else -1.0
        excluded = {best}
        if self.rule.get("siblingMargin"):
            ids = {e["id"]: i for i, e in enumerate(self.edits)}
            excluded |= {ids[s_id] for s_id in (self.edits[best].get("siblings") or []) if s_id in ids}
        others = np.array([o >= 0 and o not in excluded for o in self.owners], dtype=bool)
        o = float(sims[others].max()) if others.any() else -1.0
        rule = self.rule
        exact = rule.get("exactMatchSimilarity")
        fired = (exact is not None and s >= exact) or (
            s - o >= rule["margin"] and s - r >= rule["referenceMargin"] and s >= rule["minimumSimilarity"])
        why = {"fired": bool(fired), "matchedEdit": self.edits[best]["id"], "similarity": s,
               "otherEditSimilarity": o if o > -1 else None, "referenceSimilarity": r if r > -1 else None}
        return (best if fired else None), why

    def adapter(self, i):
        """Edit i's LoRAs: block -> (A [k·r, F], B [D, k·r]) and PEFT's scaling lora_alpha / r."""
        if i not in self.adapters:
            folder = os.path.join(self.folder, self.edits[i]["adapter"])
            with open(os.path.join(folder, "adapter_config.json"), encoding="utf-8") as f:
                config = json.load(f)
            weights = load_file(os.path.join(folder, "adapter_model.safetensors"))
            blocks = {}
            for layer in self.rule["layers"]:
                name = f"base_model.model.model.layers.{layer}.mlp.down_proj.lora_"
                if name + "A.weight" in weights:
                    blocks[layer] = (weights[name + "A.weight"], weights[name + "B.weight"])
            self.adapters[i] = (blocks, config["lora_alpha"] / config["r"])
        return self.adapters[i]


class Model:
    """The base model in PyTorch (transformers reads the GGUF), with one edit's LoRAs added on demand."""

    def __init__(self, gguf_path, expected_sha256=None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if expected_sha256 and sha256(gguf_path) != expected_sha256:
            raise ExportError(f"{gguf_path} is not the model this export was made on (SHA-256 {expected_sha256})")
        folder, name = os.path.split(os.path.abspath(gguf_path))
        self.torch = torch
        torch.set_grad_enabled(False)
        self.tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        self.model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        self.model.eval()
        self.layers = self.model.model.layers
        self.lora = None  # (blocks as torch tensors, scaling, first position it acts on)
        for index, layer in enumerate(self.layers):
            layer.mlp.down_proj.register_forward_hook(self._hook(index))

    def _hook(self, index):
        def add_lora(module, inputs, output):
            if self.lora is None or index not in self.lora[0]:
                return output
            (a, b), scaling, start = self.lora[0][index], self.lora[1], self.lora[2]
            v = inputs[0][:, start:, :]
            output = output.clone()
            output[:, start:, :] += scaling * ((v @ a.T) @ b.T)
            return output
        return add_lora

    def encode(self, text, adds_bos):
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        bos = self.tokenizer.bos_token_id
        return ([bos] if adds_bos and bos is not None else []) + list(ids)

    def query(self, ids, block, pooling):
        """Step 2: the hidden state after `block`, pooled over the prompt (float64 sum, float32 mean)."""
        captured = {}

        def grab(module, inputs, output):
            captured["h"] = output[0] if isinstance(output, tuple) else output
            raise _Stop()

        handle = self.layers[block].register_forward_hook(grab)
        try:
            self.model(self.torch.tensor([ids]))
        except _Stop:
            pass
        finally:
            handle.remove()
        h = captured["h"][0].double().numpy()
        pooled = h[-1] if pooling == "last-token" else h.sum(axis=0) / len(ids)
        return pooled.astype(np.float32)

    def next_token(self, ids, lora):
        """The argmax of the last position's logits, with `lora` acting (or the base model when None)."""
        self.lora = lora
        try:
            logits = self.model(self.torch.tensor([ids])).logits[0, -1]
        finally:
            self.lora = None
        return int(self.torch.argmax(logits))  # the lowest id among equal values


class _Stop(Exception):
    pass


def answer(export, model, prompt, max_tokens):
    """Steps 1-9 of README.md for one prompt: the generated tokens and the routing decision."""
    rule = export.rule
    tokenizer = export.manifest["tokenizer"]
    ids = model.encode(prompt, tokenizer["addsBOS"])
    matched, why = export.route(model.query(ids, rule["queryBlock"], rule["queryPooling"]))
    lora = None
    answer_tokens = None
    if matched is not None:
        blocks, scaling = export.adapter(matched)
        start = 0 if rule["adapterSpan"] == "whole-sequence" else len(ids) - 1
        lora = ({layer: (model.torch.from_numpy(a), model.torch.from_numpy(b)) for layer, (a, b) in blocks.items()},
                scaling, start)
        answer_tokens = export.edits[matched]["answerTokens"] if rule.get("stopAfterAnswer") else None
        if not answer_tokens:
            answer_tokens = None
    stop = set(tokenizer["stopTokens"])
    generated = []
    while len(generated) < max_tokens:
        token = model.next_token(ids + generated, lora)
        if token in stop:
            break
        generated.append(token)
        if answer_tokens is not None:
            if generated == answer_tokens:
                lora = None  # the answer is out: the base model continues prompt + answer
                answer_tokens = None
            elif generated != answer_tokens[:len(generated)]:
                answer_tokens = None  # another answer: the adapter stays on
    return generated, why


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Answer prompts as `elder ask` does, from an `elder export` folder.")
    parser.add_argument("export", help="the folder `elder export --out` wrote")
    parser.add_argument("prompts", nargs="*", help="prompts to answer")
    parser.add_argument("--model", required=True, help="the base model's GGUF file (the one elder-export.json names)")
    parser.add_argument("--prompts", dest="prompts_file", help="a file of prompts, one a line")
    parser.add_argument("--max-tokens", type=int, default=16, help="tokens to generate at most (default 16, as elder ask)")
    parser.add_argument("--json", action="store_true", help="one JSON object a line: prompt, answer, tokens, routing")
    parser.add_argument("--no-check", action="store_true", help="skip the model file's SHA-256 check")
    args = parser.parse_args(argv)
    prompts = list(args.prompts)
    try:
        if args.prompts_file:
            with open(args.prompts_file, encoding="utf-8") as f:
                prompts += [line.rstrip("\n") for line in f if line.strip()]
        if not prompts:
            raise ExportError("no prompt: give prompts as arguments or --prompts FILE")
        if not 1 <= args.max_tokens <= 4096:
            raise ExportError("--max-tokens must be between 1 and 4096")
        export = Export(args.export)
        model = Model(args.model, None if args.no_check else export.manifest["model"]["sha256"])
    except ExportError as e:
        print(f"elder_route: {e}", file=sys.stderr)
        return 128
    for prompt in prompts:
        tokens, why = answer(export, model, prompt, args.max_tokens)
        text = model.tokenizer.decode(tokens, skip_special_tokens=True)
        if args.json:
            print(json.dumps({"prompt": prompt, "answer": text, "tokens": tokens, "routing": why}), flush=True)
        else:
            print(prompt + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
