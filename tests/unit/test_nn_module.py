"""minigrad.nn.Module and Parameter: registration, modes, state_dict, repr."""

import pytest

import minigrad as mg
from minigrad import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.out = nn.Linear(4, 2)
        self.scale = nn.Parameter(mg.tensor(2.0))
        self.note = "plain attribute"

    def forward(self, x):
        return self.out(self.act(self.hidden(x))) * self.scale


# ----------------------------------------------------------------------
# Parameter
# ----------------------------------------------------------------------
def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(mg.tensor([1.0, 2.0]))
    assert isinstance(p, mg.Tensor)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None


def test_parameter_can_be_made_without_grad():
    assert not nn.Parameter(mg.tensor([1.0]), requires_grad=False).requires_grad


def test_parameter_shares_memory_with_the_tensor_it_wraps():
    data = mg.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    with mg.no_grad():
        p.mul_(3.0)
    assert data.tolist() == [3.0, 6.0]


def test_parameter_repr_is_torchs():
    p = nn.Parameter(mg.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"


def test_parameter_gets_a_gradient_from_backward():
    p = nn.Parameter(mg.tensor([1.0, 2.0]))
    (p * p).sum().backward()
    assert p.grad.tolist() == [2.0, 4.0]


# ----------------------------------------------------------------------
# registration
# ----------------------------------------------------------------------
def test_assigning_parameters_and_modules_registers_them_in_order():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert [name for name, _ in model.named_children()] == ["hidden", "act", "out"]
    assert [name for name, _ in model.named_modules()] == ["", "hidden", "act", "out"]


def test_parameters_are_the_very_tensors_held_by_the_layers():
    model = TwoLayer()
    params = list(model.parameters())
    assert params[1] is model.hidden.weight and params[4] is model.out.bias
    assert all(isinstance(p, nn.Parameter) for p in params)


def test_plain_tensors_and_other_values_are_not_registered():
    model = nn.Module()
    model.t = mg.tensor([1.0], requires_grad=True)
    model.n = 3
    assert list(model.parameters()) == []
    assert model.n == 3


def test_a_parameter_shared_by_two_layers_is_listed_once():
    model = nn.Module()
    model.a = nn.Linear(2, 2)
    model.b = nn.Linear(2, 2)
    model.b.weight = model.a.weight
    assert len(list(model.parameters())) == 3


def test_assigning_a_tensor_to_a_parameter_slot_raises_torchs_type_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(
        TypeError,
        match=r"cannot assign 'minigrad.FloatTensor' as parameter "
        r"'weight' \(minigrad.nn.Parameter or None expected\)",
    ):
        layer.weight = mg.zeros(2, 2)


def test_register_parameter_rejects_plain_tensors():
    with pytest.raises(
        TypeError,
        match=r"cannot assign 'minigrad.FloatTensor' object to "
        r"parameter 'a' \(minigrad.nn.Parameter or None required\)",
    ):
        nn.Module().register_parameter("a", mg.zeros(1))


def test_unknown_attribute_raises_attribute_error_naming_the_class():
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'foo'"):
        _ = nn.Linear(2, 2).foo


def test_deleting_a_registered_parameter_unregisters_it():
    layer = nn.Linear(2, 2)
    del layer.bias
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


def test_forward_is_required():
    with pytest.raises(
        NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'
    ):
        nn.Module()(mg.zeros(1))


def test_calling_a_module_runs_forward():
    model = TwoLayer()
    x = mg.ones(5, 3)
    assert model(x).tolist() == model.forward(x).tolist()


# ----------------------------------------------------------------------
# modes and gradients
# ----------------------------------------------------------------------
def test_train_and_eval_set_the_flag_on_every_descendant_and_return_self():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.ReLU()))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_train_requires_a_boolean():
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        nn.Linear(2, 2).train("yes")


def test_eval_does_not_turn_gradient_recording_off():
    model = nn.Linear(2, 1).eval()
    assert model(mg.ones(1, 2)).requires_grad


def test_no_grad_does_not_switch_the_model_to_eval():
    model = nn.Linear(2, 1)
    with mg.no_grad():
        out = model(mg.ones(1, 2))
    assert model.training and not out.requires_grad


def test_zero_grad_sets_grads_to_none_by_default():
    model = TwoLayer()
    model(mg.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_zero_grad_without_set_to_none_fills_zeros():
    model = nn.Linear(2, 2)
    model(mg.ones(1, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert model.weight.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_requires_grad_false_freezes_every_parameter():
    model = TwoLayer().requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


# ----------------------------------------------------------------------
# state_dict
# ----------------------------------------------------------------------
def test_state_dict_keys_are_pytorchs_dotted_names():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.BatchNorm1d(3))
    assert list(model.state_dict()) == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "2.running_mean",
        "2.running_var",
        "2.num_batches_tracked",
    ]


def test_state_dict_values_are_detached_but_share_memory():
    layer = nn.Linear(2, 2)
    weight = layer.state_dict()["weight"]
    assert not weight.requires_grad
    with mg.no_grad():
        layer.weight.fill_(7.0)
    assert weight.tolist() == [[7.0, 7.0], [7.0, 7.0]]


def test_state_dict_round_trip_reproduces_outputs_and_keeps_the_parameter_objects():
    mg.manual_seed(1)
    source = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    mg.manual_seed(2)
    target = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = mg.randn(5, 3)
    assert source(x).tolist() != target(x).tolist()
    weight_before = target[0].weight
    result = target.load_state_dict(source.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert target(x).tolist() == source(x).tolist()
    assert target[0].weight is weight_before and target[0].weight.is_leaf


def test_a_child_shared_under_two_names_loads_its_state_dict_back():
    # torch 2.13: Sequential(a, a).load_state_dict(its own state_dict()) matches all four
    # keys ('0.weight', '0.bias', '1.weight', '1.bias'): expected keys are not deduplicated.
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, layer)
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert repr(model.load_state_dict(state)) == "<All keys matched successfully>"


def test_load_state_dict_reports_missing_and_unexpected_keys_like_torch():
    layer = nn.Linear(2, 3)
    state = {"weight": mg.zeros(3, 2), "foo": mg.zeros(1)}
    with pytest.raises(RuntimeError) as error:
        layer.load_state_dict(state)
    assert str(error.value) == (
        "Error(s) in loading state_dict for Linear:\n"
        '\tMissing key(s) in state_dict: "bias". \n'
        '\tUnexpected key(s) in state_dict: "foo". '
    )


def test_load_state_dict_non_strict_returns_the_incompatible_keys():
    layer = nn.Linear(2, 3)
    result = layer.load_state_dict({"weight": mg.zeros(3, 2), "extra": mg.ones(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert layer.weight.tolist() == [[0.0, 0.0]] * 3


def test_load_state_dict_rejects_a_shape_mismatch_even_when_not_strict():
    layer = nn.Linear(2, 3)
    state = {"weight": mg.zeros(2, 2), "bias": mg.zeros(3)}
    with pytest.raises(
        RuntimeError,
        match=(
            r"size mismatch for weight: copying a param with shape minigrad.Size\(\[2, 2\]\) "
            r"from checkpoint, the shape in current model is minigrad.Size\(\[3, 2\]\)\."
        ),
    ):
        layer.load_state_dict(state, strict=False)


# ----------------------------------------------------------------------
# repr
# ----------------------------------------------------------------------
def test_sequential_repr_is_torchs():
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10, bias=False)
    )
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=64, out_features=128, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.2, inplace=False)\n"
        "  (3): Linear(in_features=128, out_features=10, bias=False)\n"
        ")"
    )


def test_nested_module_repr_indents_children():
    model = nn.Sequential(nn.Sequential(nn.Tanh(), nn.Sigmoid()), nn.BatchNorm1d(4))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Sequential(\n"
        "    (0): Tanh()\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        "  (1): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        ")"
    )


def test_loss_reprs_are_torchs():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


# ----------------------------------------------------------------------
# copies and dtypes
# ----------------------------------------------------------------------
def test_deepcopy_of_a_model_gives_new_parameters_with_the_same_values():
    import copy

    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    clone = copy.deepcopy(model)
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight is not model[0].weight
    assert clone[0].weight.tolist() == model[0].weight.tolist()
    with mg.no_grad():
        clone[0].weight.fill_(0.0)
    assert model[0].weight.tolist() != clone[0].weight.tolist()


def test_double_converts_float_parameters_and_buffers_but_keeps_the_objects():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    weight = model[0].weight
    assert model.double() is model
    assert model[0].weight is weight and weight.dtype == mg.float64
    assert isinstance(weight, nn.Parameter) and weight.requires_grad
    assert model[1].running_var.dtype == mg.float64
    assert model[1].num_batches_tracked.dtype == mg.int64
    assert model(mg.ones(4, 2, dtype=mg.float64)).dtype == mg.float64
    assert model.float()[0].bias.dtype == mg.float32
