"""Two audit actions for searches by identity or phone digits, and an index to count them per user.

The action list is a CHECK constraint. SQLite cannot alter one: Django rebuilds the table, and the
rebuilt table has none of the old one's triggers (the append-only guard, and any added since). They
are read before the rebuild and created again after it, whatever they are.
"""

import re

from django.conf import settings
from django.db import migrations, models

_saved_triggers: list[str] = []


def save_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditentry' AND sql IS NOT NULL"
        )
        _saved_triggers[:] = [row[0] for row in cursor.fetchall()]


def restore_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditentry'")
        present = {row[0] for row in cursor.fetchall()}
    for sql in _saved_triggers:
        name = re.match(r"CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"`]?(\w+)", sql, re.I)
        if name is None or name[1] not in present:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_audit_log_append_only_trigger'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(save_triggers, restore_triggers),
        migrations.RemoveConstraint(
            model_name='auditentry',
            name='auditentry_action_valid',
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('create', '新增'), ('update', '修改'), ('delete', '删除'), ('login', '登录'), ('logout', '退出'), ('login_failed', '登录失败'), ('locked_out', '账户锁定'), ('password_change', '修改密码'), ('reveal', '查看明文'), ('export', '导出'), ('import', '导入'), ('token_create', '创建令牌'), ('token_revoke', '吊销令牌'), ('backup', '备份'), ('restore', '恢复'), ('search_digits', '按号码查找'), ('search_limited', '号码查找超限')], max_length=20),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['actor', 'action', 'at'], name='audit_actor_action_at_idx'),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['create', 'update', 'delete', 'login', 'logout', 'login_failed', 'locked_out', 'password_change', 'reveal', 'export', 'import', 'token_create', 'token_revoke', 'backup', 'restore', 'search_digits', 'search_limited'])), name='auditentry_action_valid'),
        ),
        migrations.RunPython(restore_triggers, save_triggers),
    ]
