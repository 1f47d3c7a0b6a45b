"""One way to do each thing, and imports that point down (web -> jobs -> services -> models -> errors).

- Inference never imports training: every service's pipeline is loaded and run in a fresh process with
  Accelerate made unimportable, and no training module (genstudio.training.*, genstudio.*.train) may load.
- Errors live in genstudio/errors.py (below everything) and are mapped to answers in web/errors.py alone.
- A job's state is written by genstudio/jobs/state.py alone.
- Every service page is a module-level blueprint with top-level views.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genstudio.services.makeup import DEFAULT_MODEL as MAKEUP_DEFAULT
from genstudio.services.pokemon import MODEL as POKEMON_DEFAULT

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "genstudio"
UPPER_LAYERS = ("genstudio.services", "genstudio.jobs", "genstudio.web")
MODEL_PACKAGES = ("classifier", "data", "diffusion", "faces", "latentmap", "pokegan", "stargan", "upsampler", "wgan")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The genstudio modules a source file imports (absolute names, relative imports resolved)."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "genstudio" or name.startswith("genstudio.")}


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (PACKAGE / folder).rglob("*.py")) if folders else \
        sorted(PACKAGE.rglob("*.py"))


def is_training(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return name.startswith("genstudio.training") or last == "train" or last.endswith("_train")


def test_errors_are_at_the_bottom():
    """genstudio/errors.py imports nothing of genstudio, and weights, uploads and storage import no layer above."""
    assert imports_of(PACKAGE / "errors.py") == set()
    for name in ("weights.py", "uploads.py", "storage.py", "storage_backends.py", "model_cache.py"):
        upward = {m for m in imports_of(PACKAGE / name) if m.startswith(UPPER_LAYERS)}
        assert upward == set(), f"{name} imports {upward}"


def test_model_packages_never_import_services_jobs_or_web():
    bad = {}
    for path in sources(*MODEL_PACKAGES):
        upward = {m for m in imports_of(path) if m.startswith(UPPER_LAYERS)}
        if upward:
            bad[str(path.relative_to(ROOT))] = upward
    assert bad == {}


def module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def test_inference_modules_never_import_training_modules():
    """The static half of the process test below: everything the services import, even inside a function,
    directly or not, is free of training modules (cards and training import models, never the reverse)."""
    seen: dict[str, str] = {}  # module -> the module that imports it
    todo = [module_name(p) for p in sources("services")]
    seen.update((name, "") for name in todo)
    while todo:
        name = todo.pop()
        for imported in imports_of(module_file(name)):
            if module_file(imported) is not None and imported not in seen:
                seen[imported] = name
                todo.append(imported)
    assert {name: seen[name] for name in seen if is_training(name)} == {}
    assert {"genstudio.diffusion.model", "genstudio.stargan.photo", "genstudio.wgan.model"} <= set(seen)


def test_services_know_nothing_of_flask_jobs_or_web_outside_their_page_modules():
    bad = {}
    for path in sources("services"):
        if path.name == "web.py":
            continue
        upward = {m for m in imports_of(path) if m.startswith(("genstudio.jobs", "genstudio.web"))}
        flask = "flask" in path.read_text()
        if upward or flask:
            bad[str(path.relative_to(ROOT))] = upward or {"flask"}
    assert bad == {}
    assert "noqa: E402" not in "".join(p.read_text() for p in sources("services"))


def test_jobs_never_import_the_web_layer():
    bad = {str(p.relative_to(ROOT)): m for p in sources("jobs")
           if (m := {n for n in imports_of(p) if n.startswith("genstudio.web")})}
    assert bad == {}


def test_the_api_and_the_pages_job_routes_share_helpers_not_each_other():
    """What both need (job JSON, files, rate limits) is in jobapi.py, files.py and limits.py."""
    assert not {m for m in imports_of(PACKAGE / "web" / "jobs.py") if m.startswith("genstudio.web.api")}
    assert not {m for m in imports_of(PACKAGE / "web" / "api.py") if m.startswith("genstudio.web.jobs")}


# ---- inference never imports training (a fresh process, Accelerate unimportable) ----

NO_ACCELERATE = """
import sys
sys.modules["accelerate"] = None  # as on an inference-only install: any import of it raises ImportError
"""

RUN_EVERY_PIPELINE = r"""
import json
from genstudio.services import load_services
from genstudio.services.person.web import _classifier, _latent_map  # the person pages' own models

registry = load_services()
made = {}
for service in registry:
    for model in service.models():
        if not service.is_installed(model):
            continue
        params = service.schema.resolve(EXAMPLES.get(service.name, {}))
        inputs = service.prepare(params, FILES.get(service.name, {}))
        outputs = service.pipeline(model).generate(params, inputs)
        made[f"{service.name}/{model}"] = len(outputs)
_classifier()
_latent_map()
loaded = sorted(m for m, module in sys.modules.items() if module is not None)  # the blocker is None
print(json.dumps({"made": made, "modules": [m for m in loaded if m.startswith(("genstudio", "accelerate"))],
                  "accelerate": sys.modules.get("accelerate", "absent") is None}))
"""

GAN_SERVICES_ONLY = r"""
import json, sys
from genstudio.services import load_services
from genstudio.services.pokemon import MODEL as POKEMON_DIFFUSION

for service in load_services():
    for model in service.models():
        if service.is_installed(model) and model != POKEMON_DIFFUSION:  # every model but the diffusion one
            service.pipeline(model)
print(json.dumps(sorted(m for m in sys.modules if m == "accelerate" or m.startswith(("accelerate.", "diffusers")))))
"""


@pytest.fixture(scope="module")
def every_model(tmp_path_factory) -> Path:
    """Tiny weights of every service's models (both Pokémon families), written by this process."""
    from tests.makeup.conftest import write_tiny_stargan
    from tests.person.conftest import write_tiny_weights
    from tests.pokemon.conftest import install_tiny, install_tiny_gan

    root = tmp_path_factory.mktemp("every-model")
    install_tiny(root)
    install_tiny_gan(root)
    write_tiny_weights(root)
    write_tiny_stargan(root)
    return root


def run_python(code: str, weights: Path, setup: str = "") -> dict | list:
    env = {**os.environ, "GENSTUDIO_WEIGHTS": str(weights), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", setup + code], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


INPUTS = r"""
import io
from PIL import Image
from skimage import data
from genstudio.uploads import Upload, open_upload

_buf = io.BytesIO()
Image.fromarray(data.astronaut()).save(_buf, format="PNG")
FILES = {"makeup": {"image": Upload(_buf.getvalue(), open_upload(_buf.getvalue()))}}
EXAMPLES = {"makeup": {"hair": "blond"}, "pokemon": {"count": 1, "steps": 2},
            "person": {"count": 1, "resolution": "2x"}}  # 2x: through the up-sampler
"""


def test_every_pipeline_runs_without_training_code_or_accelerate(every_model):
    out = run_python(RUN_EVERY_PIPELINE, every_model, NO_ACCELERATE + INPUTS)
    assert out["made"] == {f"pokemon/{POKEMON_DEFAULT}": 1, "pokemon/pokemon-gan": 1, f"makeup/{MAKEUP_DEFAULT}": 1,
                           "person/person-wgan64": 1}
    assert out["accelerate"], "Accelerate was imported"
    assert [m for m in out["modules"] if is_training(m) or m.startswith("accelerate")] == []
    # the probe did load the model code, so the check above is not vacuous
    assert {"genstudio.diffusion.model", "genstudio.pokegan.model", "genstudio.stargan.photo",
            "genstudio.wgan.model", "genstudio.classifier", "genstudio.latentmap",
            "genstudio.upsampler.model"} <= set(out["modules"])


def test_the_gan_services_load_no_accelerate_even_when_installed(every_model):
    """diffusers imports Accelerate when it is installed; nothing else on the inference side does."""
    assert run_python(GAN_SERVICES_ONLY, every_model) == []


def test_the_isolation_check_sees_a_training_import(every_model):
    """The process check fails the way it should when a pipeline drags training code in."""
    with pytest.raises(AssertionError, match="accelerate"):
        run_python("import genstudio.diffusion.train\nprint('[]')", every_model, NO_ACCELERATE)


# ---- one error mapping, job state in one module ----

def calls(path: Path) -> list[ast.Call]:
    return [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Call)]


def test_errors_are_mapped_to_answers_in_one_place():
    """Only web/errors.py registers error handlers; no view catches a studio error to answer it itself."""
    handlers = {str(p.relative_to(ROOT)) for p in sources() for call in calls(p)
                if isinstance(call.func, ast.Attribute) and "errorhandler" in call.func.attr}
    assert handlers == {"genstudio/web/errors.py"}
    from genstudio import errors

    studio_errors = {name for name, obj in vars(errors).items()
                     if inspect.isclass(obj) and issubclass(obj, errors.StudioError)}
    caught = {}
    for path in [*sources("web"), *PACKAGE.glob("services/*/web.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)} | {
                    n.attr for n in ast.walk(node.type) if isinstance(n, ast.Attribute)}
                if names & studio_errors:
                    caught[str(path.relative_to(ROOT))] = names & studio_errors
    assert caught == {"genstudio/services/makeup/web.py": {"ModelMissing"}}  # face checks work without the model


def test_job_state_is_written_in_jobs_state_only():
    """No module but genstudio/jobs/state.py assigns a job's status or cancel flag, or UPDATEs them."""
    state_columns = {"status", "cancel_requested", "error", "finished_at", "started_at", "progress"}
    writers = set()
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in state_columns and not (
                        isinstance(target.value, ast.Name) and target.value.id == "self"):
                    writers.add(str(path.relative_to(ROOT)))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values" \
                    and {k.arg for k in node.keywords} & state_columns:
                writers.add(str(path.relative_to(ROOT)))
    assert writers == {"genstudio/jobs/state.py"}


# ---- one service-page shape ----

def test_every_service_page_is_a_module_level_blueprint(make_app):
    from genstudio.services import SERVICE_MODULES

    app = make_app(SERVICES=SERVICE_MODULES)
    for path in SERVICE_MODULES:
        service = importlib.import_module(path).SERVICE
        assert service.page == f"{path}.web"
        page = importlib.import_module(service.page)
        assert app.blueprints[service.name] is page.bp and page.bp.name == service.name
        views = [app.view_functions[rule.endpoint] for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith(f"{service.name}.") and rule.endpoint != f"{service.name}.static"]
        assert views, service.name
        for view in views:
            view = inspect.unwrap(view)
            assert view.__module__ == service.page and "<locals>" not in view.__qualname__, view.__qualname__


def test_the_eval_commands_measure_each_service_s_default_by_default():
    """`genstudio eval` names the defaults as literals (the CLI starts without loading the services): they must
    follow the services' defaults when those change."""
    from genstudio.services.person import DEFAULT_MODEL as PERSON_DEFAULT
    from genstudio.yardstick.cli import eval_group

    defaults = {name: {p.name: p.default for p in command.params} for name, command in eval_group.commands.items()}
    assert defaults["pokemon"]["names"] == (POKEMON_DEFAULT,)
    assert defaults["makeup"]["name"] == MAKEUP_DEFAULT
    assert defaults["person"]["names"] == (PERSON_DEFAULT,)
