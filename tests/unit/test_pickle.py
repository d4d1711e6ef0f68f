"""Pickling a tensor, a Parameter and a trained Module, as PyTorch 2.13 does.

Each expected value was observed on torch 2.13.0 (CPU) for the same code with
``torch`` in place of ``mg`` (the comment above each assertion quotes it).
"""

import copy
import pickle

import numpy as np

import minigrad as mg


def roundtrip(obj):
    return pickle.loads(pickle.dumps(obj))


def test_a_leaf_used_in_a_graph_pickles_as_a_new_leaf_without_its_grad():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * 2).sum().backward()  # the leaf now holds a weak reference to its accumulator
    c = roundtrip(w)
    # torch: tensor([1., 2.], requires_grad=True), grad None, is_leaf True, _version 1
    assert c.tolist() == [1.0, 2.0]
    assert c.requires_grad and c.is_leaf and c.grad is None
    assert c._version == 1
    assert w.grad.tolist() == [2.0, 2.0]  # the original keeps its own


def test_a_result_pickles_as_a_leaf_that_requires_grad():
    y = mg.tensor([1.0, 2.0], requires_grad=True) * 2
    c = roundtrip(y)
    # torch: tensor([2., 4.], requires_grad=True), grad_fn None, is_leaf True
    assert c.tolist() == [2.0, 4.0]
    assert c.requires_grad and c.is_leaf and c.grad_fn is None


def test_a_view_pickles_its_own_numbers_and_an_int_tensor_keeps_its_dtype():
    x = mg.arange(6.0).view(2, 3)[:, 1]
    x.add_(1)
    c = roundtrip(x)
    # torch: tensor([2., 5.]), shape (2,), _version 1
    assert c.tolist() == [2.0, 5.0] and c.shape == (2,) and c._version == 1
    # torch: torch.tensor([1, 2]) comes back as torch.int64
    assert roundtrip(mg.tensor([1, 2])).dtype == mg.int64
    c._data[0] = 99.0  # a copy: the original's memory is not shared
    assert x.tolist() == [2.0, 5.0]


def test_a_parameter_stays_a_parameter():
    # torch: Parameter True, Parameter False
    p = roundtrip(mg.nn.Parameter(mg.ones(2)))
    q = roundtrip(mg.nn.Parameter(mg.ones(2), requires_grad=False))
    assert type(p) is mg.nn.Parameter and p.requires_grad
    assert type(q) is mg.nn.Parameter and not q.requires_grad


def test_a_trained_module_pickles_and_deep_copies():
    m = mg.nn.Linear(2, 2)
    m(mg.ones(1, 2)).sum().backward()
    m2 = roundtrip(m)
    # torch: m2.weight.grad is None, torch.equal(m2.weight, m.weight) is True
    assert m2.weight.grad is None
    assert np.array_equal(m2.weight._data, m.weight._data)
    assert type(m2.weight) is mg.nn.Parameter
    m3 = copy.deepcopy(m)
    assert np.array_equal(m3.weight._data, m.weight._data)


def test_copy_copy_of_a_leaf_is_a_leaf_that_requires_grad():
    # torch: copy.copy(torch.ones(2, requires_grad=True)): requires_grad True, is_leaf True
    c = copy.copy(mg.ones(2, requires_grad=True))
    assert c.requires_grad and c.is_leaf
