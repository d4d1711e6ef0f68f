"""Chapter 6's pipeline simulation: micro-batches, a schedule, and the versions it meets.

A two-stage model, ``h = tanh(x @ W1)`` then ``out = h @ W2``, run by a schedule
of events: ``("F", k)`` the forward of micro-batch ``k``, ``("B", k)`` its
backward, ``("U", None)`` an SGD update in place under ``no_grad()``. With
``stash=True`` each forward uses its own copy of the weights (PipeDream's weight
stashing). The lecture calls these; it prints what they return.
"""


def pipeline(lib, schedule, stash=False, log=None, lr=0.1):
    """Run a schedule on a two-stage model; return the final weights.

    With stash=True each micro-batch's forward uses its own copy of the weights (as
    PipeDream does), and an update applies the copies' gradients to the real weights.
    `log` (a list) receives, after each event, W2's version and the version each
    pending micro-batch saved.
    """
    W1 = lib.tensor([[0.5, -0.3], [0.2, 0.4]], requires_grad=True)
    W2 = lib.tensor([[1.0], [-1.0]], requires_grad=True)
    data = {
        1: (lib.tensor([[1.0, 2.0]]), lib.tensor([[1.0]])),
        2: (lib.tensor([[0.5, -1.0]]), lib.tensor([[0.0]])),
    }
    loss, used, expected = {}, {}, {}
    for event, k in schedule:
        if event == "F":
            w1, w2 = W1, W2
            if stash:
                w1 = W1.detach().clone().requires_grad_()
                w2 = W2.detach().clone().requires_grad_()
            x, target = data[k]
            h = lib.mm(x, w1).tanh()  # stage 1
            out = lib.mm(h, w2)  # stage 2: saves w2
            loss[k] = ((out - target) ** 2).sum()
            used[k], expected[k] = (w1, w2), w2._version
        elif event == "B":
            loss[k].backward()
            del expected[k]
        else:  # "U": the optimizer step
            with lib.no_grad():
                for i, weight in enumerate((W1, W2)):
                    copies = [u[i] for u in used.values() if u[i] is not weight]
                    grads = [c.grad for c in copies if c.grad is not None]
                    grad = sum(grads[1:], grads[0]) if stash else weight.grad
                    weight -= lr * grad
                    for c in copies if stash else [weight]:
                        c.grad = None
        if log is not None:
            log.append(
                (
                    f"{event}{k or ''}",
                    W2._version,
                    {j: (used[j][1]._version, v) for j, v in expected.items()},
                )
            )
    return [[round(v, 4) for row in W.tolist() for v in row] for W in (W1, W2)]


def plot_versions(lib, runs):
    """Draw W2's version and each micro-batch's saved version through each run.

    ``runs``: (title, schedule, stash) triples; a run that raises is drawn up to the
    event that raised, marked with a red cross.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, axes = plt.subplots(1, 3, figsize=(10, 3.6), sharey=True)
    for ax, (title, schedule, stash) in zip(axes, runs):
        log = []
        try:
            pipeline(lib, schedule, stash=stash, log=log)
        except RuntimeError:
            failed = schedule[len(log)]  # the event that raised: log it too
            log.append((f"{failed[0]}{failed[1]}", log[-1][1], {}))
        labels = [entry[0] for entry in log]
        ax.step(range(len(log)), [entry[1] for entry in log], where="post", color="black", lw=2)
        for j, color, dy in ((1, "#2b83ba", -0.1), (2, "#fdae61", 0.1)):
            start = next(i for i, entry in enumerate(log) if j in entry[2])
            end = labels.index(f"B{j}")
            now, saved = log[end - 1][2][j]  # versions just before its backward
            ax.plot(
                [start, end], [saved + dy] * 2, color=color, lw=6, alpha=0.7, solid_capstyle="butt"
            )
            ok = now == saved
            ax.plot(
                end,
                saved + dy,
                "o" if ok else "X",
                ms=9 if ok else 14,
                color="#1a9641" if ok else "#d7191c",
            )
        ax.set_xticks(range(len(log)), labels)
        ax.set_title(title, fontsize=10)
        ax.set_yticks([0, 1, 2])
        ax.set_ylim(-0.5, 2.5)
    axes[0].set_ylabel("version")
    handles = [
        Line2D([], [], color="black", lw=2, label="W2._version (the real weight)"),
        Line2D([], [], color="#2b83ba", lw=6, alpha=0.7, label="micro-batch 1: saved version"),
        Line2D([], [], color="#fdae61", lw=6, alpha=0.7, label="micro-batch 2: saved version"),
        Line2D([], [], color="#1a9641", marker="o", ls="", label="backward: versions match"),
        Line2D([], [], color="#d7191c", marker="X", ms=10, ls="", label="backward: version error"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    plt.show()
