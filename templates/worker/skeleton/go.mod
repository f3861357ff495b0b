module ${{ values.platform.gitHost }}/${{ values.team }}/${{ values.name }}

go 1.25
