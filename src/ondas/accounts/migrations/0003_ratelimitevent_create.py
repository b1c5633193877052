from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_user_deleted_at'),
    ]

    operations = [
        migrations.CreateModel(
            name='RateLimitEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(choices=[('sign_in_email', 'failed sign-in, by email'), ('sign_in_ip', 'failed sign-in, by client address'), ('verification_email', 'verification email sent')], max_length=32, verbose_name='scope')),
                ('key', models.CharField(max_length=64, verbose_name='key')),
                ('created_at', models.DateTimeField(verbose_name='time')),
            ],
            options={
                'verbose_name': 'rate limit event',
                'verbose_name_plural': 'rate limit events',
                'indexes': [models.Index(fields=['scope', 'key', 'created_at'], name='ratelimit_scope_key_time'), models.Index(fields=['scope', 'created_at'], name='ratelimit_scope_time')],
            },
        ),
    ]
