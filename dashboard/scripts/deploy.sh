#!/usr/bin/env bash
# Copies dashboard/dist to the stack's dashboard bucket with a config.json for that stack, then
# invalidates what must not be stale. Usage: dashboard/scripts/deploy.sh <stack-name>
# (after `sam deploy`; needs the AWS CLI and credentials for the account).
set -euo pipefail
stack="${1:?stack name}"
here="$(cd "$(dirname "$0")/.." && pwd)"
output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
bucket="$(output DashboardBucketName)"
distribution="$(output DashboardDistributionId)"
printf '{"apiUrl": "%s", "wsUrl": "%s"}\n' "$(output HttpApiUrl)" "$(output WebSocketUrl)" > "$here/dist/config.json"
# Hashed assets first (an index.html never points at an asset not yet uploaded), then the rest;
# the Cache-Control headers come from the CloudFront response-headers policies.
aws s3 sync "$here/dist/assets" "s3://$bucket/assets"
aws s3 sync "$here/dist" "s3://$bucket" --exclude "assets/*" --exclude ".vite/*" --delete
aws cloudfront create-invalidation --distribution-id "$distribution" --paths /index.html /config.json >/dev/null
echo "dashboard deployed: $(output DashboardUrl)"
