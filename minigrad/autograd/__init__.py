"""The public autograd namespace, as ``torch.autograd``.

``backward`` and ``grad`` run the engine (``minigrad/engine.py``);
``Function`` lets you define an operation with your own backward;
``gradcheck`` compares your backward with finite differences.
"""

from ..engine import backward, grad, trace_backward
from ..function import Function, FunctionCtx
from .anomaly import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .gradcheck import GradcheckError, gradcheck
