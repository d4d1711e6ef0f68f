"""Checks for chapter 11, your engine (solutions/ch11_your_engine.ipynb).

1. predict the order in which your backward loop runs the nodes of ``sum(mm(x, w))``,
   before the notebook draws it.

The notebook itself runs minigrad on every piece the learner wrote (coursekit/BUILD.md)
and holds it against PyTorch; each piece was graded in its own chapter.
"""

from coursekit.checks import PREDICT, Check
from coursekit.checks.judges import prediction


def order_cases(rng, hidden):
    return [{"label": "the nodes of sum(mm(x, w)), in the order backward runs them"}]


def order_probe(learner, case):
    return learner["answer_order"]


def order_reference(case):
    """The order minigrad's own engine (held to PyTorch by tests/parity) runs them in."""
    import minigrad as mg

    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = mg.tensor([[0.5, -1.0], [2.0, 1.0]], requires_grad=True)
    steps = mg.engine.trace_backward(mg.mm(x, w).sum())
    return [step.node.name().rsplit("::", 1)[-1] for step in steps]


def order_judge(got, expected, case):
    return prediction(got, expected, what="`answer_order`", program="backward")


ORDER = Check(
    id="ch11.order",
    kind=PREDICT,
    points=1,
    reads=("answer_order",),
    title="predict: the order of your loop",
    cases=order_cases,
    probe=order_probe,
    reference=order_reference,
    judge=order_judge,
    rule="a node runs after every node that sends it a gradient; the leaves come last",
    hint="start from the node of the result; a leaf's node is named AccumulateGrad",
)

CHECKS = [ORDER]
