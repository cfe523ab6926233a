"""Fill the running counts (Tally, RespondentTally) of surveys answered before they existed, by counting
each survey's answers once: the same grouping as `surveys.tallies.recount`, written out here so the migration
does not change when that module does."""

from django.db import migrations

CELLS = (
    "INSERT INTO surveys_tally (survey_id, question_id, row, option, grid, tag, answers, respondents, number_sum) "
    "SELECT survey_id, question_id, row, COALESCE(option, -1), COALESCE(grid_id, 0), 0, COUNT(*), "
    "SUM(CASE WHEN first THEN 1 ELSE 0 END), COALESCE(SUM(number), 0) FROM surveys_answer "
    "GROUP BY survey_id, question_id, row, COALESCE(option, -1), COALESCE(grid_id, 0)"
)
TAG_CELLS = (
    "INSERT INTO surveys_tally (survey_id, question_id, row, option, grid, tag, answers, respondents, number_sum) "
    "SELECT t.survey_id, a.question_id, 0, COALESCE(a.option, -1), 0, t.tag_id, COUNT(*), "
    "SUM(CASE WHEN a.first THEN 1 ELSE 0 END), COALESCE(SUM(a.number), 0) FROM surveys_responsetag t "
    "JOIN surveys_answer a ON a.response_id = t.response_id JOIN surveys_question q ON q.id = a.question_id "
    "WHERE a.row = 0 AND q.kind <> 'matrix' "
    "GROUP BY t.survey_id, a.question_id, COALESCE(a.option, -1), t.tag_id"
)
SHEETS = (
    "INSERT INTO surveys_respondenttally (survey_id, grid, channel, sheets) "
    "SELECT survey_id, COALESCE(grid_id, 0), channel, COUNT(*) FROM surveys_response "
    "GROUP BY survey_id, COALESCE(grid_id, 0), channel"
)


def count(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for sql in (CELLS, TAG_CELLS, SHEETS):
            cursor.execute(sql)


def uncount(apps, schema_editor):
    apps.get_model("surveys", "Tally").objects.all().delete()
    apps.get_model("surveys", "RespondentTally").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_answer_tallies")]

    operations = [migrations.RunPython(count, uncount)]
