#!/usr/bin/env bash
# A real Redmine on this machine for tests/integration/test_redmine_live.py (issue 20): Debian's package
# with SQLite, served by WEBrick on 127.0.0.1:${REDMINE_PORT:-3300}. Installs what is missing, turns the
# REST API on, makes the project `ops` with two assignable people (cora, rory), starts the server and
# prints the variables the test reads (REDMINE_URL, REDMINE_API_KEY, REDMINE_USERS), to be `eval`ed.
# Idempotent: a running server is reused. Measured here: install 2-4 min, set-up 3 s, start 15 s.
set -euo pipefail
PORT="${REDMINE_PORT:-3300}"
ROOT=/usr/share/redmine
# A package an earlier run left half-configured is finished first (the same postinst, without DATABASE_URL).
if dpkg -s redmine 2>/dev/null | grep -q "^Status: .* half-configured"; then
  env -u DATABASE_URL -u REDIS_URL dpkg --configure -a >&2
fi
if [ ! -d "$ROOT" ] || ! dpkg -s ruby-webrick >/dev/null 2>&1 || ! dpkg -s redmine 2>/dev/null | grep -q "^Status: install ok installed"; then
  apt-get update -qq >&2
  # Without Hindsight's DATABASE_URL (.ci/run exports it): Debian's postinst migrates Redmine's database with
  # Rails, which would take it as its own and fail for want of the pg gem, leaving the package half-installed.
  env -u DATABASE_URL -u REDIS_URL DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    redmine redmine-sqlite ruby-webrick >&2
fi
# Debian's Redmine is meant for Passenger; WEBrick (Debian's ruby-webrick) serves it for a test.
grep -qs 'gem "webrick"' "$ROOT/Gemfile.local" || echo 'gem "webrick"' >> "$ROOT/Gemfile.local"
cd "$ROOT"
SETUP=$(mktemp --suffix=.rb)
cat > "$SETUP" <<'RUBY'
Redmine::DefaultData::Loader.load("en") if IssueStatus.count == 0
Setting.rest_api_enabled = "1"
project = Project.find_by_identifier("ops") ||
  Project.create!(name: "Ops", identifier: "ops", tracker_ids: Tracker.pluck(:id),
                  enabled_module_names: ["issue_tracking"])
role = Role.givable.where(assignable: true).first
ids = %w[cora rory].map do |login|
  user = User.find_by_login(login) || User.new(firstname: login.capitalize, lastname: "Test", mail: "#{login}@example.com")
  user.login = login
  user.password = user.password_confirmation = "hindsight-redmine-#{login}-#{SecureRandom.hex(4)}"
  user.save!
  Member.create!(project: project, principal: user, role_ids: [role.id]) unless Member.where(project: project, user_id: user.id).exists?
  "#{login}:#{user.id}"
end
puts "REDMINE_API_KEY=#{User.find_by_login('admin').api_key}"
puts "REDMINE_USERS=#{ids.join(',')}"
RUBY
# Redmine keeps its own SQLite database: Rails would take Hindsight's DATABASE_URL (set by .ci/run) as its own.
# Debian's postinst migrates that database only when dbconfig-common runs; a machine where it did not (CI once
# failed with "Could not find table 'issue_statuses'") gets it here. Idempotent: 2 s when nothing is pending.
env -u DATABASE_URL -u REDIS_URL bin/rails db:migrate RAILS_ENV=production >&2
VARS=$(env -u DATABASE_URL -u REDIS_URL bin/rails runner -e production "$SETUP" | grep '^REDMINE_')
rm -f "$SETUP"
if ! curl -fs -o /dev/null "http://127.0.0.1:$PORT/"; then
  nohup env -u DATABASE_URL -u REDIS_URL bin/rails server -u webrick -e production -b 127.0.0.1 -p "$PORT" > /tmp/redmine-test-server.log 2>&1 &
  for _ in $(seq 1 120); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 1; done
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/" || { tail -20 /tmp/redmine-test-server.log >&2; exit 1; }
fi
echo "export REDMINE_URL=http://127.0.0.1:$PORT"
echo "$VARS" | sed 's/^/export /'
