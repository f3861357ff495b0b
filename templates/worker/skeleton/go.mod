module ${{ values.platform.gitHost }}/${{ values.repoOwner }}/${{ values.name }}

go 1.25
