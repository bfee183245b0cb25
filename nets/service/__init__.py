"""The service: the one path from the page, the REST API and the CLIs to the models (nets/service/analysis.py),
with the compute lanes (compute_lanes.py), the upload store (upload_store.py) and the
visit log (visit_log.py) it owns; routing is an input stage (nets/io/routing.py). `from nets.service import analyse` works; submodules load on first use."""
_EXPORTS = ("analyse", "analyse_async", "prepare", "compute", "explain", "explain_class", "occlusion",
            "detect_image_task", "warm_up", "read_input", "Caller", "InternalError", "CLI")


def __getattr__(name):  # lazy: nets.predictor imports nets.io.routing, analysis imports the predictor later
    if name in _EXPORTS:
        from nets.service import analysis
        return getattr(analysis, name)
    raise AttributeError(name)
