"""Background tasks of the automations (Django's task framework; `manage.py db_worker`).

Arguments are ids only: an installation token never rides in a task (it is minted into the
shared cache by integrations.github.token_cache when the task runs)."""

from django.tasks import task

from automations import installations


@task()
def sync_installation(installation_id: int) -> dict[str, int]:
    """Read an installation and its repositories again from GitHub (its own token)."""
    installation = installations.sync_installation(installation_id)
    return {"repositories": len(installation.repositories) if installation else 0}
