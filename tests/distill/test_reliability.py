"""KRD: reliability is higher where the teacher's output is stable under input noise."""

import torch

from gnnlib.distill import KnowledgeSampler, entropy_shift


def test_stable_teacher_outputs_are_more_reliable():
    torch.manual_seed(0)
    num_nodes, classes = 20, 4
    # A linear "teacher": nodes 0-9 have features far from every decision boundary
    # (saturated softmax), nodes 10-19 sit on the boundary (all-zero features).
    teacher = torch.nn.Linear(classes, classes, bias=False)
    torch.nn.init.eye_(teacher.weight)
    x = torch.zeros(num_nodes, classes)
    x[:10] = 50 * torch.nn.functional.one_hot(torch.arange(10) % classes, classes)
    with torch.no_grad():
        delta = entropy_shift(teacher(x), teacher(x + torch.randn_like(x)))
    assert delta.min() >= 0 and delta.max() == 1
    assert delta[:10].max() < delta[10:].min()

    ring = torch.arange(num_nodes)
    edge_index = torch.stack([ring, (ring + 1) % num_nodes])
    sampler = KnowledgeSampler(delta, edge_index, init_power=1.0)
    reliability = sampler.probabilities()
    assert reliability[:10].min() > reliability[10:].max()


def test_warm_up_uses_every_neighbour_then_samples_by_reliability():
    num_nodes = 6
    delta = torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    ring = torch.arange(num_nodes)
    edge_index = torch.stack([torch.cat([ring, ring]), torch.cat([(ring + 1) % 6, (ring - 1) % 6])])
    sampler = KnowledgeSampler(delta, edge_index, warmup_epochs=1)
    logits = torch.randn(num_nodes, 3)
    warm = sampler.pairs(logits, logits)
    assert warm.size(1) == 12 + num_nodes  # all 12 edges and one self pair per node
    sampled = sampler.pairs(logits, logits)
    teachers = sampled[1][sampled[0] != sampled[1]]
    # delta = 1 gives p = 1 - 1**alpha = 0: unreliable nodes never teach their neighbours.
    assert bool((teachers < 3).all()) and int(sampler.epoch) == 2
    loops = sampled[:, sampled[0] == sampled[1]]
    assert torch.equal(loops[0].sort().values, ring)


def test_power_follows_the_agreement_curve_with_momentum():
    torch.manual_seed(0)
    n = 2000
    delta = torch.rand(n)
    teacher = torch.randn(n, 3)
    # The student agrees with the teacher with probability 1 - delta^3.
    agree = torch.rand(n) < 1 - delta**3
    student = torch.where(agree[:, None], teacher, -teacher)
    sampler = KnowledgeSampler(delta, torch.zeros(2, 0, dtype=torch.long), momentum=0.0, bins=20)
    sampler.fit_power(teacher, student)
    assert 1.5 < float(sampler.power) < 6
    sampler = KnowledgeSampler(delta, torch.zeros(2, 0, dtype=torch.long), momentum=0.99)
    sampler.fit_power(teacher, student)
    assert 1.0 < float(sampler.power) < 1.1
