#!/usr/bin/env bash
# Creates the S3 bucket for Fawkes' Terraform state (once per AWS account), then prints the config
# lines to add to fawkes.yaml. Idempotent: re-running fixes settings and changes nothing else.
#   usage: scripts/bootstrap-aws-state.sh <bucket-name> [region]
set -euo pipefail
bucket="${1:?usage: $0 <bucket-name> [region]}"
region="${2:-${AWS_REGION:-eu-west-1}}"
command -v aws >/dev/null || { echo "bootstrap-aws-state: the aws CLI is required" >&2; exit 1; }

if aws s3api head-bucket --bucket "$bucket" 2>/dev/null; then
  echo "bucket $bucket exists: enforcing settings"
else
  echo "creating bucket $bucket in $region"
  if [ "$region" = "us-east-1" ]; then aws s3api create-bucket --bucket "$bucket" --region "$region" >/dev/null
  else aws s3api create-bucket --bucket "$bucket" --region "$region" --create-bucket-configuration "LocationConstraint=$region" >/dev/null; fi
fi
aws s3api put-public-access-block --bucket "$bucket" \
  --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
aws s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
aws s3api put-bucket-encryption --bucket "$bucket" \
  --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"},"BucketKeyEnabled":true}]}'
aws s3api put-bucket-policy --bucket "$bucket" --policy "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"TlsOnly\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::$bucket\",\"arn:aws:s3:::$bucket/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"

cat <<YAML
done. Add to fawkes.yaml (state locking uses S3 lock files, Terraform >= 1.10):
aws:
  state:
    bucket: $bucket
    region: $region
YAML
