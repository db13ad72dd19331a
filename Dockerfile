# One image for every Node service of the stack: processor, notifier, batch (with the query
# API) and the generators. The entry point is chosen by the compose file's `command`.
# Node 24, the LTS line every path of the project runs on (README: Which Node runs the stack).
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# The panel plugin's workspace is built by its own service; the Node services need none of it.
# Scripts are off, so the project's patches (see patches/) are applied by name.
RUN npm ci --omit=dev --workspaces=false --ignore-scripts \
  && npx patch-package --error-on-fail && npm cache clean --force
COPY tsconfig.json ./
COPY streams ./streams
COPY common ./common
COPY generators ./generators
COPY processor ./processor
COPY batch ./batch
USER node
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["processor/main.ts"]
