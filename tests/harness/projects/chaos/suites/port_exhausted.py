from conftest import mark


def test_never_gets_a_port(request):
    try:
        request.getfixturevalue("harness_app")
    finally:
        mark("perturbed")
