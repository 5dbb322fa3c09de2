"""`rig results`: the results store (import run folders), its dashboard, pushes to a remote dashboard and
signed pre-CPL evidence bundles."""
from __future__ import annotations

import os
from pathlib import Path

import click

from harness.errors import InputError

STORE_HELP = "results store: a SQLite file or a postgresql:// URL"


def store_option(f):
    from harness.store.store import DEFAULT_STORE

    return click.option("--store", "store_url", default=str(DEFAULT_STORE), show_default=True, metavar="PATH|URL",
                        envvar="RIG_RESULTS_STORE", help=STORE_HELP)(f)


def open_store(url: str):
    import sqlalchemy.exc

    from harness.store.store import Store

    try:
        return Store(url)
    except (sqlalchemy.exc.SQLAlchemyError, sqlalchemy.exc.ArgumentError, OSError, RuntimeError) as exc:
        raise click.ClickException(f"cannot open results store {url}: {exc}") from None


def after_run(results: Path, status: int, store_url: str | None, publish: str | None) -> None:
    """What `rig run` does once the run is over: record the finished run (with its exit status; a run recorded test
    by test gains only that, a run merged from workers is recorded whole), and push it if asked."""
    from harness.store.runfolder import read_run

    if not (results / "run.json").is_file():
        return
    if store_url:
        import sqlalchemy.exc

        try:
            run = read_run(results)
            with open_store(store_url) as store:
                store.record(run, str(results), exit_status=status)
        except (click.ClickException, sqlalchemy.exc.SQLAlchemyError, InputError) as exc:
            click.echo(f"rig run: results store: {exc}", err=True)
    if publish:
        from rig.publish import PublishError, push as send

        try:
            answer = send(results, publish)
            click.echo(f"published {answer.get('run_id')} to {publish}")
        except (PublishError, InputError) as exc:
            click.echo(f"rig run: publish failed: {exc} (push later with: rig results push {results} --to URL)",
                       err=True)


@click.group()
def results() -> None:
    """Results store, dashboard, publishing and evidence bundles."""


@results.command("import")
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@store_option
def import_(folders: tuple[Path, ...], store_url: str) -> None:
    """Load existing run folders (each with a run.json) into the store."""
    from harness.store.runfolder import read_run

    store = open_store(store_url)
    bad = 0
    with store:
        for folder in folders:
            try:
                done = store.record(read_run(folder), str(folder.resolve()))
            except InputError as exc:
                click.echo(f"{folder}: not imported: {exc}", err=True)
                bad += 1
                continue
            state = "new" if done.created else "already stored"
            click.echo(f"{folder}: {state}, {done.added} test{'s' if done.added != 1 else ''} added")
    if bad:
        raise SystemExit(1)


@results.command("serve")
@store_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--evidence-dir", type=click.Path(file_okay=False, path_type=Path),
              help="where pushed runs' files are kept [default: results/pushed]")
@click.option("--require-token-for-reads", is_flag=True, help="reads need the bearer token too")
@click.option("--smki", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="bench SMKI that signs bundles of runs carrying none of their own")
@click.option("--unhealthy", default=0.10, show_default=True, type=click.FloatRange(0, 1),
              help="ERROR rate above which a bench or board is marked unhealthy")
def serve(store_url: str, host: str, port: int, evidence_dir: Path | None, require_token_for_reads: bool,
          smki: Path | None, unhealthy: float) -> None:
    """Serve the results dashboard; pushes need RIG_RESULTS_TOKEN set on the server."""
    import uvicorn

    from rig.dashboard.app import Settings, create_app
    from rig.publish import TOKEN_ENV

    token = os.environ.get(TOKEN_ENV) or None
    if require_token_for_reads and not token:
        raise click.UsageError(f"--require-token-for-reads needs {TOKEN_ENV} set")
    settings = Settings(store=open_store(store_url), evidence_dir=(evidence_dir or Path("results") / "pushed").resolve(),
                        token=token, read_token=require_token_for_reads, smki=smki, unhealthy=unhealthy)
    click.echo(f"results dashboard on http://{host}:{port}/ (store {store_url}; pushes "
               f"{'accepted with the token' if token else f'refused: {TOKEN_ENV} not set'})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@results.command("push")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--to", "url", required=True, metavar="URL", help="the dashboard, e.g. http://ci-results:8080")
def push(folder: Path, url: str) -> None:
    """Send a finished run folder to a remote dashboard (token from RIG_RESULTS_TOKEN)."""
    from rig.publish import PublishError, push as send

    try:
        answer = send(folder, url)
    except (PublishError, InputError) as exc:
        raise click.ClickException(f"push: {exc}") from None
    click.echo(f"{answer.get('run_id')}: {'stored' if answer.get('created') else 'already stored'}, "
               f"{answer.get('added', 0)} tests added")


def _run_folder(run_id_or_dir: str, store_url: str) -> Path:
    path = Path(run_id_or_dir)
    if (path / "run.json").is_file():
        return path
    import sqlalchemy as sa

    from harness.store.schema import runs

    with open_store(store_url) as store, store.engine.connect() as conn:
        folder = conn.execute(sa.select(runs.c.folder).where(runs.c.run_id == run_id_or_dir)).scalar()
    if not folder or not (Path(folder) / "run.json").is_file():
        raise click.ClickException(f"no run folder for {run_id_or_dir!r} (neither a folder nor a run in the store)")
    return Path(folder)


@results.command("bundle")
@click.argument("run")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--smki", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="bench SMKI holding the signing key [default: the run's bench/provisioning/smki]")
@click.option("--signer", default="acb", show_default=True, help="SMKI party whose digital-signing key signs")
@store_option
def bundle(run: str, output: Path, smki: Path | None, signer: str, store_url: str) -> None:
    """Pack RUN (a run id in the store, or a run folder) into a signed pre-CPL evidence bundle."""
    from harness.store.bundle import build, smki_signer
    from rig.dashboard.app import SMKI_IN_RUN

    folder = _run_folder(run, store_url)
    smki = smki or folder / SMKI_IN_RUN
    if not smki.is_dir():
        raise click.ClickException(f"no bench SMKI at {smki} (use --smki)")
    try:
        manifest = build(folder, output, smki_signer(smki, signer))
    except InputError as exc:
        raise click.ClickException(f"bundle: {exc}") from None
    click.echo(f"{output}: {len(manifest['files'])} files, signed by {manifest['signer']}")


@results.command("verify")
@click.argument("bundle_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--root", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="the bench SMKI root certificate the signer must chain to")
def verify(bundle_file: Path, root: Path | None) -> None:
    """Check an evidence bundle: signature, every file's SHA-256, the signer's chain, no private key."""
    from cryptography import x509

    from harness.store.bundle import verify as check

    anchor = x509.load_pem_x509_certificate(root.read_bytes()) if root else None
    problems = check(bundle_file, anchor)
    for problem in problems:
        click.echo(f"{bundle_file}: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{bundle_file}: verified")
