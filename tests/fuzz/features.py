"""Which features the CI run uses, and why the others are off.

Two kinds of feature are off in the CI run (``CI``):

- ``KNOWN_DIFFERENCES``: minigrad differs from PyTorch 2.13 there today;
  each is a root cause in FINDINGS.md (same name), to be fixed in the
  engine. When one is fixed, move its line to ``FIXED``: the CI run covers it
  from then on, and its example stays a regression test. (``test_fuzz.py`` runs each one's example program and fails,
  through a strict xfail, once minigrad agrees, as a reminder.)
- ``PYTORCH_QUIRKS``: PyTorch's behaviour there is an accident of its
  implementation, outside minigrad's contract; tests/parity/COVERAGE.md
  ("Outside the contract") says why. They stay off.
"""

from .generate import ALL

KNOWN_DIFFERENCES = {}

# Root causes fixed since the fuzzer found them: on in CI like every feature, and
# their example programs stay as regression tests that must agree with PyTorch.
FIXED = {
    "custom_non_differentiable": "mark_non_differentiable outputs still required grad",
    "custom_in_inference": "custom Functions saved tensors even when nothing was recorded",
    "requires_grad_non_leaf": "requires_grad_() on a non-leaf that requires grad is allowed",
    "nonfinite": "numpy's RuntimeWarnings leak out",
    "cat_zero_dim": "cat of 0-d tensors raises numpy's ValueError",
    "mask_shape_mismatch": "a boolean mask of the wrong shape raises numpy's IndexError",
    "int_pow_negative": "number ** int tensor with negative entries raises numpy's error",
    "nested_modes_inference": "grad mode switched on inside inference_mode records",
    "backward_in_inference": "backward inside inference_mode makes .grad an inference tensor",
    "inference_tensor_requires_grad": "ops on an inference tensor that requires grad record a graph",
    "second_order_nonsmooth": "relu's and abs's gradient does not require grad with create_graph",
    "second_order_formula": "double-backward graphs of sqrt, div, pow, mean, select, ...",
    "second_order_unbroadcast": "gradients summed back to a shape: PyTorch's sum_to graph",
    "mixed_float_dtypes": "float32 with float64: gradient dtype and matmul's messages",
    "empty_tensors": "tensors with a 0-sized dimension (batched matmul)",
    "index_saved_freed": "advanced indexing's backward keeps its index after the graph is freed",
    "hooks_then_grad": "hooks on leaf inputs of autograd.grad are skipped",
    "grad_wrt_freed_non_leaf": "autograd.grad with respect to a non-leaf after its graph was freed",
    "custom_multi_output": "custom Functions with several outputs are refused",
    "custom_none_grads": "a custom backward returning None for every input",
    "grad_runs_unneeded_nodes": "autograd.grad runs nodes its inputs do not need",
    "create_graph_backward_error": "backward(create_graph=True) warns before it raises",
    "requires_grad_off_after_use": "a leaf set to requires_grad=False after use still gets .grad",
    "view_in_no_grad": "a view made with grad mode off keeps requires_grad=True",
    "requires_grad_with_views": "a view follows requires_grad_() of its base",
    "inplace_on_view": "in-place ops on views rewrite the base's history (CopySlices)",
    "setitem_whole": "t[...] = v: PyTorch's node and leaf message",
    "retain_grad_then_inplace": "retain_grad() then an in-place op retains the new version",
    "double_backward_copyslices": "a second backward through CopySlices does not raise",
    "inplace_into_int_tensor": "copy_ into an int tensor from one requiring grad records a graph",
    "expand_write": "writes into expanded tensors and gradients raise numpy's errors",
    "inplace_overlapping_operand": "no error for an operand that partly overlaps the written-to tensor",
    "matmul_vector": "matmul(vector, matrix) is a view; matrix @ vector's dtype message",
    "inplace_on_pow_output": "pow with a tensor exponent: saved result, node named Pow1/Pow2",
    "version_error_node_names": "version errors name fill_/copy_/setitem nodes differently",
    "detach_inplace_used": "detach_() on views, and on leaves already used in a graph",
    "custom_returns_input": "a custom Function's output that is its input is not a view of it",
    "leaf_moved_into_graph": "backward into a leaf that an in-place op gave a history",
    "pow_edge_values": "x ** 0.5 / -0.5 and x ** tensor at -inf and -0.0: sqrt against pow",
    "tanh_saturation": "float32 tanh stopped short of +-1, so its gradient was not 0",
    "second_order_softmax_maximum": "gradients of softmax, log_softmax, maximum: PyTorch's graphs",
    "second_order_input_order": "a backward made its inputs' gradients first to last, not last first",
    "second_order_losses": "gradients of mse_loss and nll_loss: PyTorch's graphs (and saved input)",
    "grad_through_regenerated_view": "a gradient through AsStridedBackward0 was a view of sum's",
    "second_order_regenerated_view": "create_graph through AsStridedBackward0: PyTorch's graph",
    "operand_and_its_detach": "an op on t and t.detach() saved the wrong one",
    "version_error_saved_order": "a version error named the first saved tensor, not PyTorch's",
    "zero_signs": "relu(-0.0) was 0.0; an outer product's -0.0 was 0.0",
    "requires_grad_rebuilt_view": "requires_grad_() on a rebuilt view in no_grad raised",
    "backward_through_rebuilt_view": "AsStridedBackward0: a 0-d gradient, empty views under "
    "create_graph, the base's gradient as a view",
    "grad_output_hooks": "autograd.grad skipped the hooks of an output no input lies behind",
    "no_edge_backward_twice": "an op on a view made in no_grad saved its operands",
    "matmul_checks_order": "matmul checked dtypes before autograd's checks of its inputs",
    "loss_grad_dtype": "mse_loss's gradient came in the promoted dtype (ToCopyBackward0)",
    "copy_into_int_view": "copy_ into an int view made in no_grad was checked as a recorded change",
    "copyslices_without_gradient": "a second backward raised at CopySlices no gradient reached",
    "retain_grad_refused_view": "retain_grad() on a view that refuses its grad_fn still retained",
    "pow_mixed_dtypes_log": "create_graph through ** of two dtypes: the log of the base's dtype",
    "cat_checks_after_autograd": "cat and stack checked their inputs before autograd read them",
    "cat_gradient_alias": "cat's gradient of a piece that was all of it was AliasBackward0",
    "inplace_operand_checks_order": "an in-place op checked memory before autograd read its operand",
    "rebuilt_view_squeezed_gradient": "create_graph through AsStridedBackward0 kept dims of size 1",
    "column_major_gradient_view": "mm's gradient of a transposed input was no view",
    "shared_memory_gradients": "autograd.grad's gradients sharing memory had separate versions",
}

PYTORCH_QUIRKS = {
    "inference_tensor_outside": "inference tensors used outside inference_mode",
    "hooked_input_and_beyond": "a hooked non-leaf input of autograd.grad with inputs beyond it",
    "aliased_leaf_grads": "leaves whose .grad share memory after AccumulateGrad",
    "grad_buffer_versions": "the _version of a leaf's .grad, seen in a version error",
    "zero_tensor_grads": "a gradient through abs's backward is PyTorch's unallocated zero tensor",
    "layout_dependent_graphs": "graphs PyTorch chooses by strides (bmm, _reshape_alias, mm)",
    "result_layout": "strides of results differ (numpy's order), so view() differs",
}

CI = ALL - frozenset(KNOWN_DIFFERENCES) - frozenset(PYTORCH_QUIRKS)


def resolve(text):
    """``'ci'``, ``'all'``, ``'a,b,c'``, or ``'ci+name-name'``: a set of features."""
    text = text.strip()
    base = None
    rest = text
    for word, value in (("ci", CI), ("all", ALL)):
        if text == word or text.startswith(word + "+") or text.startswith(word + "-"):
            base, rest = set(value), text[len(word) :]
            break
    if base is None:
        chosen = frozenset(p.strip() for p in text.split(",") if p.strip())
        unknown = chosen - ALL
        if unknown:
            raise SystemExit(f"unknown features: {sorted(unknown)}")
        return chosen
    token = ""
    sign = None
    for ch in rest + "+":
        if ch in "+-":
            if sign is not None:
                if token not in ALL:
                    raise SystemExit(f"unknown feature: {token!r}")
                (base.add if sign == "+" else base.discard)(token)
            sign, token = ch, ""
        else:
            token += ch
    return frozenset(base)
