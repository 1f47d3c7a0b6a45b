"""login sessions, jobs' client address and single-image remakes, case-insensitive usernames

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('only_index', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_jobs_client_key'), ['client_key'], unique=False)

    users = sa.table('users', sa.column('username', sa.String))
    clash = op.get_bind().execute(
        sa.select(sa.func.lower(users.c.username)).group_by(sa.func.lower(users.c.username))
        .having(sa.func.count() > 1)).scalars().all()
    if clash:
        raise RuntimeError(f"usernames that differ only in case: {', '.join(clash)}; delete or rename one of each "
                           "(`genstudio users delete NAME`) before upgrading")
    op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)


def downgrade():
    op.drop_index('uq_users_username_lower', table_name='users')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_client_key'))
        batch_op.drop_column('only_index')
        batch_op.drop_column('client_key')

    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))

    op.drop_table('login_sessions')
