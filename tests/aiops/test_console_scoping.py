def test_staff_see_only_their_organization(make_staff, org, other_org):
    from aiops.models import Category

    Category.objects.create(organization=org, name="Mine")
    Category.objects.create(organization=other_org, name="Theirs")
    client = make_staff(org, "reviewer")
    page = client.get("/admin/aiops/category/")
    assert page.status_code == 200
    assert b"Mine" in page.content and b"Theirs" not in page.content
    theirs = Category.objects.get(name="Theirs")
    assert client.get(f"/admin/aiops/category/{theirs.pk}/change/").status_code == 302
    assert b"Theirs" in make_staff(None).get("/admin/aiops/category/").content
