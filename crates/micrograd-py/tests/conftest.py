import micrograd


def pytest_report_header(config):
    # the package under test: the installed wheel (the tests never import python/ directly)
    return f"micrograd: {micrograd.__file__} (micrograd-rs {micrograd.__version__})"
