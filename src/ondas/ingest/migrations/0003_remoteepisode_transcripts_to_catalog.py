# An imported episode kept one transcript, on its RemoteEpisode; it now keeps
# all of them as catalog.Transcript rows (issue 12, item 10). This copies the
# one each remote episode has, in batches (a big catalog must not hold one
# long transaction); 0004 then drops the old columns. Backwards, the first
# transcript of each imported episode goes back on its remote episode.

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

BATCH = 500


def transcripts_copy(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    RemoteEpisode = apps.get_model('ingest', 'RemoteEpisode')
    Transcript = apps.get_model('catalog', 'Transcript')
    alias = schema_editor.connection.alias
    after = 0
    while True:
        rows = list(
            RemoteEpisode.objects.using(alias)
            .filter(pk__gt=after)
            .exclude(transcript_url='')
            .order_by('pk')
            .values_list('pk', 'episode_id', 'transcript_url', 'transcript_type')[:BATCH]
        )
        if not rows:
            return
        Transcript.objects.using(alias).bulk_create(
            [
                Transcript(episode_id=episode_id, url=url, mime_type=kind, position=0)
                for _pk, episode_id, url, kind in rows
            ],
            ignore_conflicts=True,  # run again after a stop: the copied ones stay
        )
        after = rows[-1][0]


def transcripts_copy_back(
    apps: StateApps, schema_editor: BaseDatabaseSchemaEditor
) -> None:
    RemoteEpisode = apps.get_model('ingest', 'RemoteEpisode')
    Transcript = apps.get_model('catalog', 'Transcript')
    alias = schema_editor.connection.alias
    after = 0
    while True:
        remotes = list(
            RemoteEpisode.objects.using(alias)
            .filter(pk__gt=after)
            .order_by('pk')
            .values_list('pk', 'episode_id')[:BATCH]
        )
        if not remotes:
            return
        first: dict[int, tuple[str, str]] = {}
        for episode_id, url, kind in (
            Transcript.objects.using(alias)
            .filter(episode_id__in=[e for _pk, e in remotes])
            .order_by('-position', '-pk')
            .values_list('episode_id', 'url', 'mime_type')
        ):
            first[episode_id] = (url, kind)
        for pk, episode_id in remotes:
            if episode_id in first:
                url, kind = first[episode_id]
                RemoteEpisode.objects.using(alias).filter(pk=pk).update(
                    transcript_url=url, transcript_type=kind
                )
        after = remotes[-1][0]


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('ingest', '0002_remoteepisode_enclosure_type_unknown'),
        ('catalog', '0005_transcript'),
    ]

    operations = [
        migrations.RunPython(transcripts_copy, transcripts_copy_back),
    ]
