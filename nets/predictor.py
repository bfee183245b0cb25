"""The predictor (inference engine): keeps models loaded, runs one routed input (nets/io/routing.py) through
load -> preprocess -> forward -> gate -> explain -> render, and keeps the explanation with the result
(nets/result.py: LiveHandles) so any slice / plane / class can be cut later without recomputing. Entry points call
it through nets/service/ (page, REST API, CLI)."""
from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

from nets.io.nibabel_import import nib
import numpy as np
import torch

from nets import PROJECT_ROOT
from nets.errors import OVERRIDE_HINT, InputError, WrongDimensionsError
from nets.io.magic import is_volume_bytes  # noqa: F401 (re-exported for older callers)
from nets.io.nifti_loader import load_nifti_bytes
from nets.model_configs import TASKS
from nets.registry import REGISTRY
from nets.result import LiveHandles, ModelInput, Result
from nets.io.routing import Route, modality_of_image, route  # noqa: F401 (modality_of_image re-exported)
from nets.render.slice_renderer import SliceRenderer, render_gallery
from nets.transforms.engine_grid import ENGINE_AFFINE
from nets.transforms.image_to_tensor import image_to_tensor
from nets.transforms.resample import resample_to_grid
from nets.helper_threads import submit

Progress = Callable[[str, float], None]


def neither_message(first, second) -> str:
    """Refusal when the image is neither a chest X-ray nor a dermoscopy photo (both gates refused it)."""
    why = "; ".join((first.reasons if first else []) + (second.reasons if second else [])[:2])
    return ("This looks neither like a chest X-ray (a greyscale frontal radiograph of the chest) nor like a "
            f"dermoscopy photo (a colour close-up of one skin lesion): {why}. It was not classified. If you are sure "
            f"it is one of them, choose the model and ask for an answer anyway {OVERRIDE_HINT}.")


class Predictor:
    def __init__(self, imgs_root=None, registry=REGISTRY):
        self.imgs_root = Path(imgs_root or os.environ.get("XAI_IMGS_DIR") or PROJECT_ROOT / "imgs")
        self.registry = registry
        self._prep = None
        self._mni_reference = None
        self._reference_z = {}  # (model, weights) -> raw logits of the MNI152 reference brain
        self._prep_lock = threading.Lock()  # the 3d and long lanes may both ask first

    # -- helpers -----------------------------------------------------------------------------------------------
    def preprocessor(self):
        """The engine's preprocessing behind a cache keyed by the volume's sha256 (nets/transforms/
        preprocessing_cache.py): memory for recent volumes, disk for the bundled demo and MNI152 reference."""
        with self._prep_lock:
            return self._make_preprocessor()

    def _make_preprocessor(self):
        if self._prep is None:
            from nets.data.brain_subjects import mni152_file
            from nets.demo_volume import DEMO_PATH
            from nets.disk_cache import CACHE_DIR
            from nets.transforms.brain_preprocessing import BrainPreprocessor
            from nets.transforms.preprocessing_cache import BuiltOnFirstUse, PreprocessingCache
            self._prep = PreprocessingCache(BuiltOnFirstUse(BrainPreprocessor), disk_dir=CACHE_DIR,
                                            bundled=(DEMO_PATH, mni152_file()))
        return self._prep

    def warm_up(self, tasks=TASKS):
        for t in tasks:
            self.registry.get(task=t)
        if "mri" in tasks:
            self._reference_brain(None)  # the faithfulness / occlusion reference, preprocessed once
            self._warm_demo()
            self._warm_kernels()

    def _warm_kernels(self):
        """One forward and one LRP pass on a blank volume of the model's input shape, so oneDNN's first 3D
        convolutions (set up per shape, forward and backward) are paid at start-up rather than by the first user."""
        m = self.registry.get(task="mri")
        shape = getattr(m.config.input, "shape", None)
        if not m.trained or not shape:
            return
        try:
            x = torch.zeros(shape)
            with torch.no_grad():
                m.module(x)  # a pair (single_volume_batch): the answer's, the check's and occlusion's shape
            m.explainer().explain(x, 0)
        except Exception as e:  # noqa: BLE001 - start-up goes on; a real request reports any error
            import sys
            print(f"the MRI model was not warmed up: {type(e).__name__}: {e}", file=sys.stderr)

    def _warm_demo(self):
        """Preprocess the bundled demo once (a disk read after the first time), so "use demo.nii" starts at once."""
        from nets.demo_volume import DEMO_PATH
        if DEMO_PATH.exists():
            try:
                self.preprocessor().for_file(DEMO_PATH)
            except Exception as e:  # noqa: BLE001 - a broken demo file is reported again when it is used
                import sys
                print(f"nii/demo.nii was not preprocessed at start-up: {type(e).__name__}: {e}", file=sys.stderr)

    # -- entry points ------------------------------------------------------------------------------------------
    def predict_file(self, path, **kw) -> Result:
        from nets.service.analysis import read_input
        return self.predict_bytes(read_input(path), filename=Path(path).name, **kw)

    def predict_bytes(self, raw: bytes, task: str | None = None, model: str | None = None, weights=None,
                      target=None, explain: bool = True, progress: Progress | None = None,
                      save_relevance=None, force: bool = False, filename: str = "", age=None) -> Result:
        """Route the input (nets/io/routing.py), then predict_routed."""
        where = route(raw, filename, task, model, check_header=False)  # the volume reader checks the header itself
        return self.predict_routed(raw, where, weights, target, explain, progress, save_relevance, force, age)

    def predict_routed(self, raw: bytes, where: Route, weights=None, target=None, explain: bool = True,
                       progress: Progress | None = None, save_relevance=None, force: bool = False,
                       age=None) -> Result:
        """Run an input the router has placed. force: answer even when the input gate refuses the input (the answer
        then carries a warning). age: the person's age in years (MRI: the brain-age gap beside the estimate)."""
        progress = progress or (lambda step, frac: None)
        if where.task == "mri":
            return self._predict_volume(raw, where.model, weights, target, explain, progress, save_relevance, force,
                                        age)
        return self._predict_image(raw, where, weights, target, explain, progress, force)

    def prepare_volume(self, raw: bytes, where: Route, age=None, weights=None) -> None:
        """_predict_volume's steps before the model (_read_volume, _volume_input), with the same errors, leaving
        the aligned volume in the preprocessing cache: the service runs this in its own lane, so one volume is
        aligned while the previous one is explained."""
        _, m, vol = self._read_volume(raw, where.model, weights, age)
        self._volume_input(m, vol, [])

    def _read_volume(self, raw, model_name, weights, age) -> tuple:
        """(age, model, volume): the checks of an MRI answer before any heavy work, in this order."""
        from nets.inference.brain_age import parse_age
        age = parse_age(age)  # a bad age is refused before any heavy work
        m = self.registry.get(model_name, task="mri", weights=weights)
        return age, m, load_nifti_bytes(raw)

    @staticmethod
    def _classify(m, x, timings, progress, offsets=None):
        """One forward pass (no gradients) -> logits (+ offsets, e.g. the age reference's) and probabilities;
        records timings["forward"]."""
        progress("classifying", 0.4)
        t = time.perf_counter()
        with torch.no_grad():
            logits = m.module(x)[0]
        if offsets is not None:
            logits = logits + torch.as_tensor(offsets, dtype=logits.dtype)
        timings["forward"] = time.perf_counter() - t
        from nets.trust.gate_service import calibrated_probabilities
        return logits, calibrated_probabilities(m, logits.numpy())

    # -- MRI ---------------------------------------------------------------------------------------------------
    def _predict_volume(self, raw, model_name, weights, target, explain, progress, save_relevance,
                        force=False, age=None) -> Result:
        t = {}
        t0 = time.perf_counter()
        progress("reading", 0.05)
        age, m, vol = self._read_volume(raw, model_name, weights, age)
        t["load"] = time.perf_counter() - t0
        progress("preprocessing", 0.2)
        t1 = time.perf_counter()
        warnings = []
        inp, pre = self._volume_input(m, vol, warnings)
        image, world_map = inp.x[0, 0].numpy(), inp.world_map
        t["preprocess"] = time.perf_counter() - t1
        verdict = None
        if world_map is not None:
            from nets.trust.gate_service import act_on, brain_gate, no_gate_warning
            t2 = time.perf_counter()
            gate = brain_gate(m)
            verdict = gate.verdict(image) if gate is not None else None
            t["gate"] = time.perf_counter() - t2
            from nets.trust.brain_contrast import refusal_message_t1
            warnings += act_on("mri", verdict, force, refusal_message_t1(verdict) if verdict else None)
            if verdict is None and m.trained:
                warnings.append(no_gate_warning("mri"))
        from nets.networks.age_reference import stage_age_offsets
        from nets.report.age_text import age_reference_sentence, unstated_age_warning
        offsets, age_ref = stage_age_offsets(m.card, age, len(m.config.classes))
        age_ref = {**age_ref, "sentence": age_reference_sentence(age_ref)} if age_ref else None
        logits, probs = self._classify(m, inp.x, t, progress, offsets)
        if not m.trained:
            warnings.append("This model has no trained weights yet: the classes below are meaningless.")
        tgt = int(np.argmax(probs)) if target is None else self._class_index(m, target)
        run_id = uuid.uuid4().hex[:12]
        extras = {"age_reference": age_ref} if age_ref else {}
        if world_map is not None:
            from nets.inference.brain_age import brain_age_extras
            extras.update(brain_age_extras(image, age, t))
            note = unstated_age_warning(m.card, age, extras.get("brain_age"), int(np.argmax(probs)))
            warnings += [note] if note else []
        r = Result(run_id, "mri", m, logits.numpy(), probs, tgt if explain else None, None, {}, [], t, {}, warnings,
                   extras, LiveHandles(inp, logit_offsets=offsets))
        if explain:
            progress("explaining", 0.55)
            e = self.explain(r, "lrp", tgt)
            a = r.handles.attributions[("lrp", tgt)]
            t.update(e["timings_s"])
            extras["relevance_conservation"] = a.meta["conservation"]
            progress("rendering", 0.8)
            r.renderer, r.images = r.view("lrp", tgt), e["images"]
            r.regions = region_table(a.map) if world_map is not None else []
            if save_relevance:
                self.save_relevance_nifti(a.map, inp.grid_affine, world_map, vol, save_relevance)
                extras["relevance_nifti"] = str(save_relevance)
        t["total"] = time.perf_counter() - t0
        progress("done", 1.0)
        info = {"kind": "nifti", "bytes": vol.n_bytes, "sha256": vol.sha256, **vol.header,
                "voxel_mm": [round(z, 3) for z in vol.zooms]}
        if pre is not None:
            info["template"] = pre.template
            info["brain_similarity"] = round(pre.similarity, 3)
        from nets.trust.gate_service import temperature
        extras.update(input_gate=verdict.to_json() if verdict else None, forced=bool(force),
                      temperature=temperature(m))
        if verdict is not None:
            extras["input_gate"]["tissue_contrast"] = verdict.contrast
        r.input_info = info
        return r

    def _volume_input(self, m, vol, warnings) -> tuple:
        """(ModelInput, preprocessing result or None) for a volume under the model's input contract: the raw ADNI
        contract (the first slices of the stored array) or the engine's MNI grid (nets/transforms/)."""
        contract = m.config.input
        if contract.preprocessing == "raw":
            d, (depth, *plane) = vol.data, contract.voxel_shape
            if list(d.shape[1:3]) != plane or d.shape[0] < depth:
                need = "x".join(map(str, contract.voxel_shape))
                raise WrongDimensionsError(
                    f"The {m.name} model needs a raw ADNI-style volume of at least {need} voxels "
                    f"(got {'x'.join(map(str, d.shape))}); use the default model for other scans.")
            image = np.ascontiguousarray(d[:depth], dtype=np.float32)
            return ModelInput(torch.from_numpy(image)[None, None], grid_affine=vol.affine), None
        pre = self.preprocessor()(vol)
        warnings += pre.warnings
        return ModelInput(torch.from_numpy(pre.image)[None, None], ENGINE_AFFINE, pre.world_map, pre.mask), pre

    def save_relevance_nifti(self, relevance, grid_affine, world_map, vol, out):
        """Relevance resampled onto the input scan's own voxel grid, so it overlays in any viewer."""
        if world_map is None:  # raw model: relevance lives on the first 160 slices of the input grid
            full = np.zeros(vol.data.shape, np.float32)
            full[:relevance.shape[0]] = relevance
        else:
            full = resample_to_grid(relevance, grid_affine, vol.affine, vol.data.shape,
                                    world_map=np.linalg.inv(world_map))
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        nib.save(nib.Nifti1Image(full.astype(np.float32), vol.affine), str(out))

    def explain_class(self, result: Result, target) -> Result:
        """Explain another class for an existing result (one more LRP / Grad-CAM pass, nothing else)."""
        tgt = self._class_index(result.model, target)
        h = result.handles
        if h is None:
            raise InputError("This result was released: analyse the file again to explain another class.")
        run_id = uuid.uuid4().hex[:12]
        extras = {k: v for k, v in result.extras.items() if k != "explanations"}
        r = Result(run_id, result.task, result.model, result.logits, result.probabilities, tgt, None, {}, [],
                   dict(result.timings), result.input_info, result.warnings, extras, h)
        method = result.model.config.explainers[0]
        e = self.explain(r, method, tgt)
        r.timings.update(e["timings_s"])
        r.images = e["images"]
        if result.is_volume:
            r.renderer = r.view(method, tgt)
            extras["relevance_conservation"] = h.attributions[(method, tgt)].meta.get("conservation")
            if r.on_mni_grid:
                r.regions = region_table(h.attributions[(method, tgt)].map)
        return r

    def occlusion(self, result: Result, target=None, reference=None, top: int = 5, progress: Progress = None,
                  window: int = 12, stride: int = 6, full: bool = False) -> dict:
        """Occlusion sensitivity for an MRI result (nets/interpret/occlusion.py): cubes (default 24 mm) in turn
        replaced by the same cube of a healthy reference brain (default: the MNI152 template through the same
        preprocessing).
        Reports the cubes that, made typical, most raise and most lower the log-odds of `target` (default: CN), as
        the answer scores them (with a stated age's term, `_answer_network`).
        window, stride: in voxels (2 mm). Cubes where brain and reference agree (outside both brains) are skipped
        (exact: they change nothing). Fast by default: coarse to fine (the non-overlapping cubes, then every
        stride-spaced cube around the 8 strongest; README says how close to the full map); full=True tries every
        cube. Computed once per result and setting."""
        from nets.interpret.occlusion import VolumeOcclusion, describe_cubes
        from nets.render.plots import save_occlusion_planes
        if not result.on_mni_grid:
            raise InputError("Occlusion needs an MRI result on the engine's MNI grid (not the raw ADNI contract).")
        tgt = self._class_index(result.model, "CN" if target is None else target)
        key = (tgt, str(reference) if reference else "mni152", window, stride, full)  # `top` only reads the run
        h = result.handles
        image = h.model_input.x[0, 0].numpy()
        if key not in h.occlusions:
            ref_name, ref = self._reference_brain(reference)
            t0 = time.perf_counter()
            a = VolumeOcclusion(self._answer_network(result), ref, window=window, stride=stride, every=full,
                                progress=progress).explain(h.model_input.x, tgt)
            base, changes = a.extra["base"], a.extra["changes"]
            name = result.classes[tgt]
            figure = save_occlusion_planes(
                image, a.map,
                self.imgs_root / "img_occlusion" / result.run_id / f"occlusion_{name}_{uuid.uuid4().hex[:6]}.png",
                f"Occlusion for {name}: each {window * 2} mm cube made like the reference brain. Red: the region "
                f"speaks for {name} (made typical, P({name}) falls); blue: against {name}", name)
            if reference is None and (window, stride, full) == (12, 6, False):
                h.attributions[("occlusion", tgt)] = a
            h.occlusion_maps[key] = a.map
            h.occlusions[key] = ({
                "target": name, "log_odds": round(base, 2), "reference": ref_name,
                "window_mm": window * 2, "stride_mm": stride * 2, "cubes": len(changes),
                "forwards": a.meta["forwards"],
                "mode": "every cube" if full else "brain cubes, coarse to fine",
                "image": figure, "seconds": round(time.perf_counter() - t0, 1)}, changes)
        summary, changes = h.occlusions[key]
        return {**summary, "raise": describe_cubes(changes, window, image, top),
                "lower": describe_cubes(changes[::-1], window, image, top)}

    def _reference_brain(self, reference) -> tuple:
        """(name, engine-grid image) of a healthy reference brain: a NIfTI path, else the MNI152 template."""
        if reference:
            return Path(reference).name, self.preprocessor().for_file(reference).image
        if self._mni_reference is None:
            from nets.data.brain_subjects import mni152_file
            self._mni_reference = self.preprocessor().for_file(mni152_file()).image
        return "MNI152 2009 template (nilearn)", self._mni_reference

    @staticmethod
    def _class_index(m, target):
        cls = list(m.config.classes)
        if isinstance(target, (int, np.integer)) and 0 <= target < len(cls):
            return int(target)
        if str(target).upper() in cls:
            return cls.index(str(target).upper())
        raise InputError(f"Unknown class '{target}'. Classes: {', '.join(cls)}")

    # -- 2D ----------------------------------------------------------------------------------------------------
    def _predict_image(self, raw, where: Route, weights, target, explain, progress, force=False) -> Result:
        t = {}
        t0 = time.perf_counter()
        progress("reading", 0.05)
        img, kind, task, model_name, auto = where.image, where.kind, where.task, where.model, where.auto
        detected = where.detected
        m = self.registry.get(model_name, task=task, weights=weights)
        t["load"] = time.perf_counter() - t0
        progress("preprocessing", 0.2)
        t1 = time.perf_counter()
        x, display = self._image_input(img, m, with_display=explain)  # answers alone (cohorts) skip the picture
        t["preprocess"] = time.perf_counter() - t1
        progress("classifying", 0.4)
        logits, verdict = self._gated_forward(m, x, img, t)
        message = None
        if auto and model_name is None and weights is None and verdict is not None and verdict.level != "ok":
            (m, x, display, logits, verdict, task), message = self._other_task(img, task, t, (m, x, display, logits,
                                                                                               verdict, task))
        if auto:
            detected = task if message is None else "neither"
        from nets.trust.gate_service import act_on, calibrated_probabilities, no_gate_warning, temperature
        warnings = act_on(task, verdict, force, message)
        if verdict is None and m.trained:
            warnings.append(no_gate_warning(task))
        probs = calibrated_probabilities(m, logits.numpy())
        tgt = int(np.argmax(probs)) if target is None else self._class_index(m, target)
        run_id = uuid.uuid4().hex[:12]
        if detected not in (task, "neither"):
            warnings.append(f"The image looks like a {'chest X-ray' if detected == 'chest' else 'skin photo'} "
                            f"but was analysed as {task}.")
        info = {"kind": kind, "bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest(),
                "size": list(img.size), "mode": img.mode, "detected_task": detected}
        extras = {"input_gate": verdict.to_json() if verdict else None, "forced": bool(force),
                  "temperature": temperature(m),
                  "top_label_calibrated": bool((m.card.get("calibration") or {}).get("top_label"))}
        if task == "skin" and m.trained:  # the skin model's known shortcut (README): one more forward per answer
            from nets.trust.edge_check import check_answer, edge_warning
            extras["edge_check"] = check_answer(m, x, probs)
            if not extras["edge_check"]["kept"]:
                warnings.append(edge_warning(extras["edge_check"]))
        r = Result(run_id, task, m, logits.numpy(), probs, tgt if explain else None, None, {}, [], t, info,
                   warnings, extras, LiveHandles(ModelInput(x, image=img, display=display)))
        if explain:
            progress("explaining", 0.6)
            e = self.explain(r, m.config.explainers[0], tgt)
            t.update(e["timings_s"])
            r.images = e["images"]
        t["total"] = time.perf_counter() - t0
        progress("done", 1.0)
        return r

    def _other_task(self, img, task, timings, current) -> tuple:
        """The modality check's other choice for an image the first model's gate refused or flagged: that model's run
        when its gate judges the image better (ok < flag < refuse), else the first run (and the 'neither' message
        when both refuse)."""
        other = "skin" if task == "chest" else "chest"
        m2 = self.registry.get(task=other)
        x2, display2 = self._image_input(img, m2, with_display=current[2] is not None)
        logits2, verdict2 = self._gated_forward(m2, x2, img, timings)
        rank = {"ok": 0, "flag": 1, "refuse": 2}
        if verdict2 is not None and rank[verdict2.level] < rank[current[4].level]:
            return (m2, x2, display2, logits2, verdict2, other), None
        return current, (neither_message(current[4], verdict2) if current[4].level == "refuse" else None)

    def detect_image_task(self, raw_or_route) -> str:
        """The modality check with the gates: 'chest' or 'skin' when that model's gate does not refuse the image
        (the colour check's pick first), else 'neither'. Forward passes only, no explanation. Takes the image's
        bytes or its Route (nets/io/routing.py: decoded once)."""
        where = raw_or_route if isinstance(raw_or_route, Route) else route(raw_or_route, task="chest")
        img = where.image
        first = "chest" if where.kind == "dicom" else where.detected
        for task in (first, "skin" if first == "chest" else "chest"):
            m = self.registry.get(task=task)
            x, _ = self._image_input(img, m, with_display=False)
            _, verdict = self._gated_forward(m, x, img, {})
            if verdict is None or verdict.level != "refuse":
                return task
        return "neither"

    @staticmethod
    def _image_input(img, m, with_display=True):
        c = m.config.input
        arr = np.asarray(img.convert(c.mode).resize((c.size, c.size), 2), dtype=np.uint8)
        return image_to_tensor(arr, c), (_display_image(img, c) if with_display else None)

    @staticmethod
    def _gated_forward(m, x, img, timings):
        """One forward pass; with the model's input gate, the same pass also gives the pooled features the gate
        scores (no second pass). Records timings["forward"] and timings["gate"] (summed over models tried)."""
        from nets.trust.feature_density import logits_and_features
        from nets.trust.gate_service import image_gate
        from nets.trust.image_statistics import image_statistics
        gate = image_gate(m) if hasattr(m.module, "stem") else None
        t = time.perf_counter()
        with torch.no_grad():
            if gate is None:
                logits, feats = m.module(x), None
            else:
                logits, feats = logits_and_features(m.module, x)
        timings["forward"] = timings.get("forward", 0.0) + time.perf_counter() - t
        if gate is None:
            return logits[0], None
        t = time.perf_counter()
        verdict = gate.verdict(image_statistics(img), logits.numpy(), feats.numpy())
        timings["gate"] = timings.get("gate", 0.0) + time.perf_counter() - t
        return logits[0], verdict

    # -- explanations (every method, every task) ----------------------------------------------------------------
    def explain(self, result: Result, method: str | None = None, target=None, progress=None) -> dict:
        """Explain `result` with `method` (default: the model's first; the config lists what it offers) for `target`
        (default: the explained class, else the prediction): the map (nets/interpret/attribution.py), its deletion /
        insertion faithfulness, PNGs. Computed once per result, method and class, and listed in the result's JSON
        (`explanations`). Returns that JSON entry (method, target, faithfulness, images, timings_s, ...)."""
        from nets.interpret.attribution import METHOD_NAMES
        m = result.model
        method = method or m.config.explainers[0]
        if method not in m.config.explainers or (method == "occlusion" and result.is_volume
                                                 and not result.on_mni_grid):
            raise InputError(f"{m.name} offers no {method} explanation for this input.")
        tgt = self._class_index(m, target if target is not None else
                                (result.target if result.target is not None else int(np.argmax(result.probabilities))))
        h, key = self._handles(result), (method, tgt)
        if key not in h.explanations:
            t0 = time.perf_counter()
            a = self._attribution(result, method, tgt, progress)
            t1 = time.perf_counter()
            # a volume's check (18 forwards) runs on the check thread while its 27 PNGs are drawn: torch and zlib
            # free the GIL. 2D checks stay in the caller's thread: two 2D workers would queue on that one thread.
            # (one "check" thread for the process: one MRI lane worker; an occlusion request in the long lane
            # waits at most one check)
            pending = submit("check", 1, self._faithfulness, result, a) if result.is_volume else None
            view, images = self._render_attribution(result, a)
            t2 = time.perf_counter()
            faith = pending.result() if pending is not None else self._faithfulness(result, a)
            t3 = time.perf_counter()
            h.attributions[key], h.views[key] = a, view
            h.explanations[key] = {"method": method, "method_name": METHOD_NAMES[method], "target": result.classes[tgt],
                      "signed": a.signed, "faithfulness": faith, "sanity": self._sanity(m, method),
                      "meta": a.meta, "images": images,
                      "timings_s": {"explain": round(t1 - t0, 4), "render": round(t2 - t1, 4),
                                    "faithfulness": round(t3 - (t1 if pending is not None else t2), 4)}}
        entries = result.extras.setdefault("explanations", [])
        if h.explanations[key] not in entries:
            entries.append(h.explanations[key])
        return h.explanations[key]

    @staticmethod
    def _handles(result: Result):
        if result.handles is None:
            raise InputError("This result was released: analyse the file again to explain it further.")
        return result.handles

    def _attribution(self, result, method, tgt, progress):
        m, x = result.model, result.handles.model_input.x
        if method == "occlusion" and result.is_volume:
            self.occlusion(result, tgt, progress=progress)
            return result.handles.attributions[("occlusion", tgt)]
        return m.explainer(method).explain(x, tgt)

    def _faithfulness(self, result, a):
        """Deletion / insertion against a random order (nets/interpret/faithfulness.py); MRI: within the brain,
        towards the MNI152 reference brain; 2D: towards a blurred copy. None for the raw-contract MRI model. The
        network is scored with the answer's own logit offsets (a stated age's term), so P(class) in the check is
        the P(class) of the answer."""
        from nets.interpret.faithfulness import deletion_insertion, image_baseline
        x = result.handles.model_input.x
        offsets = result.handles.logit_offsets
        net = self._answer_network(result)
        known = {"original": float(torch.softmax(torch.as_tensor(result.logits), 0)[a.target])}  # the answer's pass
        if not result.is_volume:
            return deletion_insertion(net, x, image_baseline(x), a.map, a.target, known=known)
        if not result.on_mni_grid:
            return None
        ref = torch.from_numpy(self._reference_brain(None)[1])[None, None]
        ref_logits = self._reference_logits(result.model, ref)
        if offsets is not None:
            ref_logits = ref_logits + torch.as_tensor(offsets, dtype=ref_logits.dtype)
        known["baseline"] = float(torch.softmax(ref_logits, 0)[a.target])
        mask = result.handles.model_input.brain_mask
        return deletion_insertion(net, x, ref, a.map, a.target, region=None if mask is None else mask > 0,
                                  known=known)

    @staticmethod
    def _answer_network(result):
        """The network as the answer scored it: plus the answer's logit offsets (a stated age's term), if any, so
        that checks and occlusion measure the P(class) the page shows."""
        from nets.networks.prior_shift import OffsetLogits
        offsets = result.handles.logit_offsets
        return result.model.module if offsets is None else OffsetLogits(result.model.module, offsets)

    def _reference_logits(self, m, ref) -> torch.Tensor:
        """Raw logits of the MNI152 reference brain, once per model and weights (the same for every MRI check)."""
        key = (m.name, m.weights_path)
        if key not in self._reference_z:
            with torch.no_grad():
                self._reference_z[key] = m.module(ref)[0]
        return self._reference_z[key]

    @staticmethod
    def _sanity(m, method):
        """The card's model-randomisation check for this method (python -m nets.sanity_check), if recorded."""
        return ((m.card.get("sanity_check") or {}).get("methods") or {}).get(method)

    def _render_attribution(self, result, a):
        name = result.classes[a.target]
        c = result.handles.model_input
        if not result.is_volume:
            from nets.render.image_explanation import ImageExplanation
            if c.display is None:  # an answer made without explanation: the picture is drawn when first asked
                c.display = _display_image(c.image, result.model.config.input)
            view = ImageExplanation(c.display, a, name)
            return view, view.save(self.imgs_root, result.run_id, f"_{a.method}_{name}")
        ras_img, ras_map = _to_ras(c.x[0, 0].numpy(), a.map, c.grid_affine)
        view = SliceRenderer(ras_img, ras_map, target=name, signed=a.signed, method=a.method)
        return view, render_gallery(view, f"{result.run_id}_{a.method}_{name}", self.imgs_root)


def _display_image(img, contract):
    """The 2D picture the heatmaps are drawn on: RGB, twice the model's input size."""
    return np.asarray(img.convert("RGB").resize((contract.size * 2, contract.size * 2), 2), dtype=np.uint8)


def _to_ras(image, relevance, affine):
    img = nib.as_closest_canonical(nib.Nifti1Image(image, affine))
    ornt = nib.orientations.io_orientation(affine)
    rel = nib.orientations.apply_orientation(relevance, ornt)
    return np.asarray(img.dataobj, np.float32), np.asarray(rel, np.float32)


def region_table(relevance: np.ndarray, top: int = 15) -> list:
    """Share of positive relevance per AAL region (engine grid), top regions first."""
    from nets.transforms.templates import get_templates
    t = get_templates()
    if t.atlas is None:
        return []
    pos = np.clip(relevance, 0, None)
    total = pos.sum()
    if total <= 0:
        return []
    sums = np.bincount(t.atlas.ravel(), weights=pos.ravel(), minlength=int(t.atlas.max()) + 1)
    rows = [{"name": t.atlas_names.get(i, f"region {i}"), "share": float(s / total)}
            for i, s in enumerate(sums) if i > 0 and s > 0]
    rows.sort(key=lambda r: -r["share"])
    outside = float(sums[0] / total)
    out = rows[:top]
    out.append({"name": "outside atlas regions (white matter, CSF, other)", "share": outside})
    return out


_DEFAULT = None


def default_predictor() -> Predictor:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Predictor()
    return _DEFAULT
