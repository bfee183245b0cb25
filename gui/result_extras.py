"""What the result page shows below the explanations besides the core answer (issue 23): what each layer sees
(gui/activation_section.py), the feedback control (gui/feedback_control.py), the model comparison and the choice
of another model (gui/model_choice.py). gui/app.py calls put_result_extras once, inside the result scope."""
from __future__ import annotations

from gui.activation_section import put_activations
from gui.feedback_control import put_feedback
from gui.model_choice import put_other_models


def put_result_extras(ctx, res):
    put_activations(ctx, res)
    put_feedback(ctx, res)
    put_other_models(ctx, res)
