"""GLNN / KRD loss: a hand-computed toy value, and lam = 1 being plain supervised training."""

import math

import pytest
import torch
import torch.nn.functional as F

from gnnlib.distill import distillation_loss, soft_label_kl


def test_loss_matches_a_hand_computed_value():
    student = torch.tensor([[0.0, math.log(3.0)], [0.0, 0.0]])  # softmax: [1/4, 3/4], [1/2, 1/2]
    teacher = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]])  # softmax: [1/2, 1/2], [3/4, 1/4]
    labels = torch.tensor([1, 0])
    labelled = torch.tensor([True, False])
    kl_0 = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    kl_1 = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    ce = -math.log(0.75)  # node 0 only: node 1 has no label
    lam = 0.3
    expected = lam * ce + (1 - lam) * (kl_0 + kl_1) / 2
    got = distillation_loss(student, labels, labelled, teacher, lam)
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_temperature_and_pairs():
    student = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    teacher = torch.tensor([[0.0, 4.0], [1.0, 1.0]])
    tau = 2.0
    p_t = F.softmax(teacher / tau, -1)
    log_p_s = F.log_softmax(student / tau, -1)
    # pairs: student 0 <- teacher 1, student 1 <- teacher 0, student 1 <- teacher 1
    pairs = torch.tensor([[0, 1, 1], [1, 0, 1]])
    terms = [(p_t[j] * (p_t[j].log() - log_p_s[i])).sum() for i, j in pairs.t().tolist()]
    expected = sum(terms) / 3
    assert soft_label_kl(student, teacher, tau, pairs).item() == pytest.approx(expected.item())
    # lam = 0 (GLNN's official choice) ignores the labels entirely.
    labels, labelled = torch.tensor([0, 1]), torch.tensor([True, True])
    assert distillation_loss(student, labels, labelled, teacher, 0.0, tau, pairs).item() == (
        pytest.approx(expected.item())
    )


def test_lam_one_is_plain_supervised_training():
    torch.manual_seed(0)
    x, y = torch.randn(30, 5), torch.randint(0, 3, (30,))
    labelled = torch.rand(30) < 0.5

    def train(teacher):
        torch.manual_seed(1)
        model = torch.nn.Linear(5, 3)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
        for _ in range(5):
            optimizer.zero_grad()
            if teacher == "plain":
                loss = F.cross_entropy(model(x)[labelled], y[labelled])
            else:
                loss = distillation_loss(model(x), y, labelled, teacher, lam=1.0)
            loss.backward()
            optimizer.step()
        return model.weight.detach()

    plain = train("plain")
    assert torch.equal(train(None), plain)  # no teacher needed
    assert torch.equal(train(torch.randn(30, 3) * 10), plain)  # any teacher is ignored


def test_bad_inputs_are_clear_errors():
    logits = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="lam must lie in"):
        distillation_loss(
            logits, torch.zeros(2, dtype=torch.long), torch.ones(2, dtype=torch.bool), logits, 1.5
        )
    with pytest.raises(ValueError, match="needs the teacher"):
        distillation_loss(
            logits, torch.zeros(2, dtype=torch.long), torch.ones(2, dtype=torch.bool), None, 0.5
        )
    with pytest.raises(ValueError, match="temperature"):
        soft_label_kl(logits, logits, 0.0)
