#!/usr/bin/env bash
# Offline checks of the Terraform under infra/: formatting, init and validate,
# the `terraform test` suites (mock provider) of the main configuration and of
# bootstrap/, and a plan of the main configuration against the real provider
# schema, once aimed at AWS and once at LocalStack.
#
# Needs Terraform >= 1.10 and the hashicorp/aws 5.100.0 provider in a local
# filesystem mirror (found in the usual places, or named by
# MT_TF_PROVIDER_MIRROR). Without them it prints one line saying so and exits
# 0. It downloads nothing, contacts no AWS endpoint (every HTTP proxy variable
# points at a closed loopback port, so a stray call fails at once), ignores the
# user's Terraform and AWS configuration, and leaves the source tree untouched:
# each configuration is copied into a temporary folder and initialised there.
#
# Prints one line per step and a closing "N passed, M failed"; exits 1 if any
# step failed.
#
# LIMITATION: nothing here applies the configuration. AWS is not reachable from
# the test machines and LocalStack cannot be installed on them, so a policy AWS
# would refuse at apply time, or a resource LocalStack does not emulate, still
# passes these checks.

set -uo pipefail

readonly PROVIDER_VERSION=5.100.0
readonly MIN_TERRAFORM=1.10.0
readonly STEP_TIMEOUT_S=300
readonly ACCOUNT_ID=123456789012
readonly LOCALSTACK_URL=http://127.0.0.1:4566

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

skip() {
    echo "infra: skipped: $1"
    exit 0
}

# Terraform reads no checkpoint server, no user settings, no inherited vars.
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
while IFS= read -r name; do
    unset "$name"
done < <(compgen -e |
    grep -E '^(TF_VAR_|TF_CLI_ARGS|TF_WORKSPACE$|TF_PLUGIN_CACHE_DIR$|TF_DATA_DIR$|AWS_)')

command -v terraform >/dev/null 2>&1 || skip "terraform is not installed"

version_json=$(terraform version -json 2>/dev/null)
tf_version=$(sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p' <<<"$version_json")
platform=$(sed -n 's/.*"platform": *"\([^"]*\)".*/\1/p' <<<"$version_json")
if [ -z "$tf_version" ] || [ -z "$platform" ]; then
    skip "cannot read the version of terraform"
fi
oldest=$(printf '%s\n%s\n' "$MIN_TERRAFORM" "$tf_version" | sort -V | head -n 1)
if [ "$oldest" != "$MIN_TERRAFORM" ]; then
    skip "terraform $tf_version is older than $MIN_TERRAFORM"
fi

# A mirror holds registry.terraform.io/hashicorp/aws/<version>/<platform>/
# (unpacked) or registry.terraform.io/hashicorp/aws/terraform-provider-aws_<version>_<platform>.zip.
mirror_has_provider() {
    local aws_dir="$1/registry.terraform.io/hashicorp/aws"
    [ -d "$aws_dir/$PROVIDER_VERSION/$platform" ] \
        || [ -f "$aws_dir/terraform-provider-aws_${PROVIDER_VERSION}_${platform}.zip" ]
}

find_mirror() {
    local dir
    if [ -n "${MT_TF_PROVIDER_MIRROR:-}" ]; then
        mirror_has_provider "$MT_TF_PROVIDER_MIRROR" && echo "$MT_TF_PROVIDER_MIRROR"
        return
    fi
    for dir in /opt/tf-plugins /usr/share/terraform/plugins /usr/local/share/terraform/plugins \
        "${HOME:-/nonexistent}/.terraform.d/plugins" \
        "${HOME:-/nonexistent}/.local/share/terraform/plugins"; do
        if mirror_has_provider "$dir"; then
            echo "$dir"
            return
        fi
    done
    while IFS= read -r dir; do
        dir=${dir%/registry.terraform.io/hashicorp/aws}
        if mirror_has_provider "$dir"; then
            echo "$dir"
            return
        fi
    done < <(timeout 30 find / -maxdepth 6 \( -path /proc -o -path /sys -o -path /dev \) -prune \
        -o -path '*/registry.terraform.io/hashicorp/aws' -print 2>/dev/null)
}

mirror=$(find_mirror)
[ -n "$mirror" ] || skip "no filesystem mirror with hashicorp/aws $PROVIDER_VERSION for $platform"

work=$(mktemp -d "${TMPDIR:-/tmp}/mailtrack-infra-test.XXXXXX") || exit 1
trap 'rm -rf -- "$work"' EXIT
mkdir -p "$work/home" "$work/logs"

cat >"$work/cli.tfrc" <<EOF
disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
EOF
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
export HOME="$work/home"
export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
export http_proxy="$HTTP_PROXY" https_proxy="$HTTPS_PROXY"
unset NO_PROXY no_proxy
export AWS_ACCESS_KEY_ID=AKIAOFFLINETESTONLY AWS_SECRET_ACCESS_KEY=offline-test-only
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true

passed=0
failed=0
steps=0

# step NAME COMMAND...: runs one check, prints one line, keeps its log.
step() {
    local name=$1 started=$SECONDS log
    shift
    steps=$((steps + 1))
    log="$work/logs/$steps.log"
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'infra: %-44s ok (%ds)\n' "$name" $((SECONDS - started))
        return 0
    fi
    failed=$((failed + 1))
    printf 'infra: %-44s FAILED (%ds)\n' "$name" $((SECONDS - started))
    sed -e 's/^/    /' "$log" | tail -n 80
    return 1
}

# not_run NAME REASON: a step that could not run because an earlier one failed.
not_run() {
    failed=$((failed + 1))
    printf 'infra: %-44s not run (%s)\n' "$1" "$2"
}

copy_config() {
    mkdir -p "$2"
    cp "$1"/*.tf "$1/.terraform.lock.hcl" "$2/" || return 1
    if [ -d "$1/tests" ]; then
        cp -R "$1/tests" "$2/tests" || return 1
    fi
}

tf_in() {
    local dir=$1
    shift
    TF_DATA_DIR="$dir/.terraform" timeout "$STEP_TIMEOUT_S" terraform -chdir="$dir" "$@" -no-color
}

# The plan must succeed and propose changes (exit code 2 with -detailed-exitcode).
plan_expects_changes() {
    local rc
    tf_in "$@" -detailed-exitcode
    rc=$?
    [ "$rc" -eq 2 ] && return 0
    [ "$rc" -eq 0 ] && echo "the plan proposed no changes; it should create the whole deployment"
    return 1
}

check_config() {
    local label=$1 src=$2 dir=$3
    if ! copy_config "$src" "$dir"; then
        not_run "$label: init" "cannot copy $src"
        return 1
    fi
    if ! step "$label: init -backend=false" tf_in "$dir" init -backend=false -input=false; then
        not_run "$label: validate" "init failed"
        not_run "$label: test" "init failed"
        return 1
    fi
    step "$label: validate" tf_in "$dir" validate
    step "$label: test (mock provider)" tf_in "$dir" test
}

step "fmt -check -recursive" \
    timeout "$STEP_TIMEOUT_S" terraform -chdir="$here" fmt -check -recursive -diff -no-color

check_config "main" "$here" "$work/main"
check_config "bootstrap" "$here/bootstrap" "$work/bootstrap"

# Plans run on their own copy, whose override file swaps the S3 backend for a
# local one: a plan needs an initialised backend, and the real one is
# configured per deployment.
plan_dir="$work/plan"
zip_path="$work/package/mailtrack-lambda.zip"
mkdir -p "$work/package"
cp "$here/tests/fixtures/lambda-stub.zip" "$zip_path"
copy_config "$here" "$plan_dir"
rm -rf "$plan_dir/tests"
cat >"$plan_dir/offline_backend_override.tf" <<EOF
terraform {
  backend "local" {
    path = "$work/plan.tfstate"
  }
}
EOF
# Against AWS the provider would ask STS who the caller is; the dummy
# credentials would fail that, so this plan alone skips the question.
cat >"$plan_dir/offline_provider_override.tf" <<'EOF'
provider "aws" {
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = "true"
  allowed_account_ids         = null
  max_retries                 = 1
}
EOF

if step "plan: init (local backend)" tf_in "$plan_dir" init -input=false; then
    step "plan -refresh=false: AWS" plan_expects_changes "$plan_dir" plan -refresh=false \
        -input=false -lock=false -var "account_id=$ACCOUNT_ID" -var "region=eu-west-1" \
        -var "sender_identity=noreply@example.com" -var "alarm_email=ops@example.com" \
        -var "lambda_zip_path=$zip_path"
    rm -f "$plan_dir/offline_provider_override.tf"
    step "plan -refresh=false: LocalStack" plan_expects_changes "$plan_dir" plan -refresh=false \
        -input=false -lock=false -var "localstack_endpoint=$LOCALSTACK_URL" \
        -var "sender_identity=example.com" -var "lambda_zip_path=$zip_path"
else
    not_run "plan -refresh=false: AWS" "init failed"
    not_run "plan -refresh=false: LocalStack" "init failed"
fi

echo "infra: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
