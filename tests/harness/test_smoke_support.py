from .support import TINY_APP, run_pytest, tiny_app_command, write_project


def test_tiny_project_passes_and_cleans_up(tmp_path):
    project = write_project(
        tmp_path,
        f"""
        [tool.harness]
        command = {tiny_app_command()}
        health = "/health"
        """,
        {"test_x.py": "def test_up(app):\n    assert app.pid > 0\n"},
    )
    result = run_pytest(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert TINY_APP.exists()
