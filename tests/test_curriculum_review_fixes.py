"""The cards and sources a blind review found weak (issue 18): each fix is pinned here."""


def test_positional_encoding_card_accepts_sin_1_to_four_places(bundled_curriculum):
    card = bundled_curriculum.card("transformer/positional-encoding-value")
    for written in ("0.841", "0.8415", "0.84147"):
        assert card.grade(written), f"{written} is sin(1) = 0.84147 rounded, and must be accepted"
    assert not card.grade("0.842") and not card.grade("0.84")


def test_best_epoch_card_says_how_epochs_are_numbered(bundled_curriculum):
    front = bundled_curriculum.card("early-stopping/best-epoch").front
    assert "epochs 1-9" in front or "numbered from 1" in front, front


def test_infonce_as_cross_entropy_cites_simclr_not_cpc(bundled_curriculum):
    source = bundled_curriculum.card("self-supervised-learning/infonce-as-ce").source
    assert "Chen et al. (2020)" in source and "SimCLR" in source and "§2.1" in source and "Eq. 1" in source
    assert "CPC" not in source


def test_classic_cnns_credits_lenet_and_links_alexnet_correctly(bundled_curriculum):
    topic = bundled_curriculum.topics["classic-cnns"]
    lenet = topic.explanation.split("**AlexNet**")[0]
    assert "D2L" in lenet or "Dive into Deep Learning" in lenet, "the modernised LeNet is D2L's, not LeCun 1998's"
    alexnet = [s for s in topic.sources if "AlexNet" in s.title or "Krizhevsky" in s.title]
    assert alexnet and all("vgg" not in s.url.lower() for s in alexnet)
    assert any("c399862d3b9d6b76c8436e924a68c45b" in s.url for s in alexnet), "the AlexNet paper's page"
