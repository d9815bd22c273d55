"""The public shell: the home page shows the four supermarkets in Chinese and routes into each."""

import pytest

pytestmark = pytest.mark.django_db

MARKETS_ZH = ["网络监督超市", "网络教育超市", "网络服务超市", "网络宣传超市"]


def test_home_shows_the_four_supermarkets_in_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in MARKETS_ZH:
        assert name in html
    assert 'lang="zh-Hans"' in html


def test_each_supermarket_has_its_page(client):
    for slug, name in zip(["supervision", "education", "services", "publicity"], MARKETS_ZH, strict=True):
        response = client.get(f"/m/{slug}/")
        assert response.status_code == 200
        assert f"<h1>{name}</h1>" in response.content.decode()


def test_unknown_supermarket_is_404(client):
    assert client.get("/m/nothing/").status_code == 404


def test_care_mode_toggles_large_text(client):
    assert 'class="care' not in client.get("/").content.decode()
    response = client.post("/care/", {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert 'class="care' in client.get("/").content.decode()
    client.post("/care/", {"next": "/"})
    assert 'class="care' not in client.get("/").content.decode()


def test_care_toggle_refuses_an_offsite_redirect(client):
    response = client.post("/care/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_english_is_available(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Online Supervision Supermarket" in html
